import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import './styles.css'
import { whenUnauthorized } from './services/http.js'
import { session, clearSession } from './services/session.js'
import { operator, clearOperator } from './services/admin/session.js'

// The token the refused call sent is the one that expired: it is removed from storage, whichever
// page made the call, and that user goes to their login page.
whenUnauthorized((error, token) => {
  const here = router.currentRoute.value
  if (token === operator.token) {
    clearOperator()
    if (here.path.startsWith('/admin')) router.replace({ name: 'admin-login', query: { next: here.fullPath } })
  } else if (token === session.token) {
    clearSession()
    if (!here.path.startsWith('/admin') && !here.path.startsWith('/staff'))
      router.replace({ name: 'login', query: { next: here.fullPath } })
  }
})

createApp(App).use(router).mount('#app')
