const catalog = require('../../../services/catalog')
const { load } = require('../../../utils/page')

Component({
  data: { status: 'loading', error: '', hospitals: [] },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => catalog.listHospitals(), {
        apply: (list) => ({ hospitals: list.map((h) => ({ id: h.id, name: h.name, releaseTime: h.release_time })) }),
        isEmpty: (list) => list.length === 0,
      })
    },
    onPick(e) {
      const { id, name } = e.currentTarget.dataset
      wx.navigateTo({
        url: `/pages/booking/departments/index?hospital_id=${id}&hospital_name=${encodeURIComponent(name)}`,
      })
    },
  },
})
