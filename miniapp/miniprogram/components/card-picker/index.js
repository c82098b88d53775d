// Choosing whose card to use (one's own or a linked family member's).
const { relationLabel } = require('../../utils/identity')

Component({
  properties: {
    cards: { type: Array, value: [] },
    value: { type: String, value: '' },
  },
  data: { items: [] },
  observers: {
    'cards, value': function (cards, value) {
      this.setData({
        items: (cards || []).map((c) => ({
          cardId: c.card_id,
          name: c.name_masked,
          relation: relationLabel(c.relation),
          selected: c.card_id === value,
        })),
      })
    },
  },
  methods: {
    onPick(e) {
      this.triggerEvent('change', { cardId: e.currentTarget.dataset.id })
    },
  },
})
