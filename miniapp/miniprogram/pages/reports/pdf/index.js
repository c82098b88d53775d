// The report's PDF: a signed link (no bearer: wx.downloadFile sends none), downloaded and
// opened with the system viewer. The link lasts 5 minutes, so it is asked for each time.
const config = require('../../../config')
const reports = require('../../../services/reports')

function download(url) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url,
      success: (res) =>
        res.statusCode === 200 ? resolve(res.tempFilePath) : reject(new Error('报告下载链接已失效，请重试')),
      fail: () => reject(new Error('网络连接失败，请检查网络后重试')),
    })
  })
}

function openDocument(filePath) {
  return new Promise((resolve, reject) => {
    wx.openDocument({
      filePath,
      fileType: 'pdf',
      showMenu: true,
      success: resolve,
      fail: () => reject(new Error('无法打开PDF文件')),
    })
  })
}

Component({
  data: { status: 'loading', error: '', reportId: '' },
  methods: {
    onLoad(options = {}) {
      this.setData({ reportId: options.report_id || '' })
      return this.open()
    },
    async open() {
      this.setData({ status: 'loading', error: '' })
      try {
        const link = await reports.createPdfLink(this.data.reportId)
        // the file comes from the same host the mini-program is configured for
        const origin = config.get().apiBase.replace(/\/api\/v1\/?$/, '')
        const filePath = await download(origin + link.path)
        await openDocument(filePath)
        this.setData({ status: 'ready' })
      } catch (err) {
        this.setData({ status: 'error', error: err.message || '打开失败' })
      }
    },
  },
})
