// Shared page plumbing: load data into `status`/`error` (for <state-view>), toasts for errors.

// Runs `fetch`, puts its result in the page with `apply(result)` (an object for setData), and sets
// status: ready, or empty when `isEmpty(result)`, or error with the sentence of the failure.
async function load(page, fetch, { apply, isEmpty } = {}) {
  page.setData({ status: 'loading', error: '' })
  try {
    const result = await fetch()
    const data = apply ? apply(result) : {}
    const empty = isEmpty ? isEmpty(result) : false
    page.setData(Object.assign({}, data, { status: empty ? 'empty' : 'ready' }))
    return result
  } catch (err) {
    page.setData({ status: 'error', error: err.message || '加载失败' })
    return null
  } finally {
    if (typeof wx.stopPullDownRefresh === 'function') wx.stopPullDownRefresh()
  }
}

function toastError(err) {
  wx.showToast({ title: (err && err.message) || '操作失败', icon: 'none', duration: 3000 })
}

// A refusal the resident must read in full (it names what to do next), in a dialog, not a toast
function alertError(err, title = '提示') {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content: (err && err.message) || '操作失败',
      showCancel: false,
      confirmText: '知道了',
      success: () => resolve(),
      fail: () => resolve(),
    })
  })
}

function confirm(title, content) {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (res) => resolve(Boolean(res.confirm)), fail: () => resolve(false) })
  })
}

module.exports = { load, toastError, alertError, confirm }
