// One report: who, where, when, the results as a table (critical values stand out), the
// conclusion, and the PDF when the hospital sent one.
const reports = require('../../../services/reports')
const { load } = require('../../../utils/page')
const { reportRow, resultLine } = require('../../../utils/reports')
const { formatDateTime } = require('../../../utils/time')

Component({
  data: { status: 'loading', error: '', reportId: '', report: null, results: [], criticalCount: 0 },
  methods: {
    onLoad(options = {}) {
      this.setData({ reportId: options.report_id || '' })
      return this.refresh()
    },
    refresh() {
      return load(this, () => reports.getReport(this.data.reportId), {
        apply: (r) => {
          const results = (r.results || []).map(resultLine)
          return {
            report: Object.assign(reportRow(r), {
              name: r.name_masked,
              doctor: r.doctor,
              specimen: r.specimen || '',
              collectedAt: r.collected_at ? formatDateTime(r.collected_at) : '',
              conclusion: r.conclusion || '',
            }),
            results,
            criticalCount: results.filter((x) => x.critical).length,
          }
        },
      })
    },
    onPdf() {
      wx.navigateTo({ url: `/pages/reports/pdf/index?report_id=${this.data.reportId}` })
    },
  },
})
