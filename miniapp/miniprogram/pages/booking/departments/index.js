const catalog = require('../../../services/catalog')
const { load } = require('../../../utils/page')

Component({
  data: { status: 'loading', error: '', hospitalId: 0, hospitalName: '', departments: [] },
  methods: {
    onLoad(query) {
      this.setData({
        hospitalId: Number(query.hospital_id),
        hospitalName: decodeURIComponent(query.hospital_name || ''),
      })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => catalog.listDepartments(this.data.hospitalId), {
        apply: (list) => ({ departments: list.map((d) => ({ id: d.id, name: d.name })) }),
        isEmpty: (list) => list.length === 0,
      })
    },
    onPick(e) {
      const { id, name } = e.currentTarget.dataset
      const hospital = encodeURIComponent(this.data.hospitalName)
      wx.navigateTo({
        url: `/pages/booking/schedules/index?department_id=${id}&department_name=${encodeURIComponent(name)}&hospital_name=${hospital}`,
      })
    },
  },
})
