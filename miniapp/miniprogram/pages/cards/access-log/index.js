const audit = require('../../../services/audit')
const { load } = require('../../../utils/page')
const { formatDateTime } = require('../../../utils/time')
const { SENTENCES } = require('../../../utils/errors')

const ACTIONS = { scan: '扫码识别', checkin: '扫码签到' }

Component({
  data: { status: 'loading', error: '', cardId: '', entries: [] },
  methods: {
    onLoad(query) {
      this.setData({ cardId: query.card_id || '' })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => audit.listScanHistory(this.data.cardId), {
        apply: (rows) => ({
          entries: rows.map((r) => ({
            id: r.id,
            at: formatDateTime(r.at),
            where: [r.hospital && r.hospital.name, r.terminal && r.terminal.name].filter(Boolean).join(' · '),
            action: ACTIONS[r.action] || r.action,
            result: r.result === 'ok' ? '成功' : `未通过：${SENTENCES[r.result] || r.result}`,
            ok: r.result === 'ok',
          })),
        }),
        isEmpty: (rows) => rows.length === 0,
      })
    },
  },
})
