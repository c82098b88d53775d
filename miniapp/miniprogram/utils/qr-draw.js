// QR codes drawn on a type="2d" canvas from the payload text: qrcode-generator (pure JS) makes
// the module matrix, we paint it. Error correction M as the service's own PNG/SVG images.
const qrcode = require('qrcode-generator')

function qrMatrix(payload) {
  const qr = qrcode(0, 'M')
  qr.addData(payload, 'Byte')
  qr.make()
  const n = qr.getModuleCount()
  const rows = []
  for (let r = 0; r < n; r += 1) {
    const row = []
    for (let c = 0; c < n; c += 1) row.push(qr.isDark(r, c))
    rows.push(row)
  }
  return rows
}

// Paints `matrix` into a square of `size` CSS pixels with a 4-module quiet zone.
function paint(ctx, matrix, size) {
  const n = matrix.length
  const cell = size / (n + 8)
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, size, size)
  ctx.fillStyle = '#000000'
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (matrix[r][c]) ctx.fillRect((c + 4) * cell, (r + 4) * cell, Math.ceil(cell), Math.ceil(cell))
    }
  }
}

function pixelRatio() {
  try {
    return (wx.getWindowInfo ? wx.getWindowInfo() : wx.getSystemInfoSync()).pixelRatio || 2
  } catch (e) {
    return 2
  }
}

// Draws `payload` on the <canvas type="2d" id="{{selector}}"> of `component`; resolves with the matrix.
function drawQr(component, selector, payload) {
  const matrix = qrMatrix(payload)
  return new Promise((resolve) => {
    wx.createSelectorQuery()
      .in(component)
      .select(selector)
      .fields({ node: true, size: true })
      .exec((res) => {
        const found = res && res[0]
        if (!found || !found.node) return resolve(matrix)
        const canvas = found.node
        const dpr = pixelRatio()
        canvas.width = found.width * dpr
        canvas.height = found.height * dpr
        const ctx = canvas.getContext('2d')
        ctx.scale(dpr, dpr)
        paint(ctx, matrix, Math.min(found.width, found.height))
        resolve(matrix)
      })
  })
}

module.exports = { qrMatrix, paint, drawQr }
