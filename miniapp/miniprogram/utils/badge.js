// The unread count of the inbox: on the tab bar where the mini-program has one (index of the
// "我的" tab), and on the home page's entry to the messages.
const notifications = require('../services/notifications')

const MESSAGES_TAB = 1

function showOnTabBar(unread) {
  const done = () => {}
  if (unread > 0 && wx.setTabBarBadge) {
    wx.setTabBarBadge({ index: MESSAGES_TAB, text: unread > 99 ? '99+' : String(unread), fail: done })
  } else if (wx.removeTabBarBadge) {
    wx.removeTabBarBadge({ index: MESSAGES_TAB, fail: done })
  }
}

// -> the unread count (0 when it cannot be read: a badge is never worth an error)
function refreshBadge() {
  return notifications.unreadCount().then(
    (answer) => {
      const unread = Number(answer.unread) || 0
      showOnTabBar(unread)
      return unread
    },
    () => 0,
  )
}

module.exports = { refreshBadge, showOnTabBar }
