// Loading, empty and error states of a page or a section; the content (slot) shows when ready.
Component({
  properties: {
    status: { type: String, value: 'loading' }, // loading | ready | empty | error
    message: { type: String, value: '' },
    emptyText: { type: String, value: '暂无内容' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
