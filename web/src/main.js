import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import './styles.css'
import { whenUnauthorized } from './services/http.js'
import { session, clearSession } from './services/session.js'
import { clearOperator } from './services/admin/session.js'

whenUnauthorized(() => {
  const here = router.currentRoute.value
  if (here.path.startsWith('/admin')) { clearOperator(); router.replace({ name: 'admin-login', query: { next: here.fullPath } }) }
  else if (session.token) { clearSession(); router.replace({ name: 'login', query: { next: here.fullPath } }) }
})

createApp(App).use(router).mount('#app')
