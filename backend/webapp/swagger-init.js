// Starts Swagger UI on the /docs page. A file rather than an inline <script>: the service's
// Content-Security-Policy allows scripts from its own files only (backend/security_headers.py).
window.addEventListener('load', function () {
  var root = document.getElementById('openapi')
  window.ui = SwaggerUIBundle({
    url: root.getAttribute('data-spec-url'),
    dom_id: '#openapi',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    validatorUrl: null
  })
})
