import { createRouter, createWebHistory } from 'vue-router'
import { session } from './services/session.js'
import { operator } from './services/admin/session.js'

const resident = (path, name, loader, meta = {}) => ({
  path,
  name,
  component: loader,
  meta: { area: 'resident', auth: true, ...meta },
})

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    {
      path: '/login',
      name: 'login',
      component: () => import('./views/resident/Login.vue'),
      meta: { area: 'resident', title: '登录' },
    },
    resident('/', 'home', () => import('./views/resident/Home.vue'), { title: '我的健康卡' }),
    resident('/cards/claim', 'claim', () => import('./views/resident/ClaimCard.vue'), { title: '实名领卡' }),
    resident('/card-links', 'card-links', () => import('./views/resident/CardLinks.vue'), { title: '谁在使用我的卡' }),
    resident('/cards/:cardId/phone', 'card-phone', () => import('./views/resident/CardPhone.vue'), {
      title: '更换手机号',
    }),
    resident('/cards/:cardId', 'card', () => import('./views/resident/CardQr.vue'), { title: '电子健康卡' }),
    resident('/family', 'family', () => import('./views/resident/Family.vue'), { title: '家人管理' }),
    resident('/book', 'book', () => import('./views/resident/Book.vue'), { title: '预约挂号' }),
    resident('/book/pay/:holdId', 'pay', () => import('./views/resident/Pay.vue'), { title: '确认支付' }),
    resident('/book/waiting/:hospitalId', 'waiting', () => import('./views/resident/Waiting.vue'), {
      title: '放号排队',
    }),
    resident('/bookings', 'bookings', () => import('./views/resident/Bookings.vue'), { title: '我的预约' }),
    resident('/bookings/:id', 'booking', () => import('./views/resident/BookingDetail.vue'), { title: '预约详情' }),
    resident('/bills', 'bills', () => import('./views/resident/Bills.vue'), { title: '住院清单' }),
    resident('/reports', 'reports', () => import('./views/resident/Reports.vue'), { title: '报告查询' }),
    resident('/reports/:id', 'report', () => import('./views/resident/ReportDetail.vue'), { title: '报告详情' }),
    resident('/charges', 'charges', () => import('./views/resident/Charges.vue'), { title: '门诊缴费' }),
    resident('/scans', 'scans', () => import('./views/resident/Scans.vue'), { title: '用卡记录' }),
    resident('/messages', 'messages', () => import('./views/resident/Messages.vue'), { title: '消息' }),
    {
      path: '/staff',
      name: 'staff',
      component: () => import('./views/staff/Console.vue'),
      meta: { area: 'staff', title: '诊室终端' },
    },
    {
      path: '/staff/display/:scheduleId',
      name: 'display',
      component: () => import('./views/staff/Display.vue'),
      meta: { area: 'display', title: '候诊叫号' },
    },
    {
      path: '/admin/login',
      name: 'admin-login',
      component: () => import('./views/admin/Login.vue'),
      meta: { area: 'admin', title: '运营登录' },
    },
    {
      path: '/admin',
      component: () => import('./views/admin/Layout.vue'),
      meta: { area: 'admin', operator: true },
      children: [
        { path: '', redirect: '/admin/hospitals' },
        {
          path: 'hospitals',
          name: 'admin-hospitals',
          component: () => import('./views/admin/Hospitals.vue'),
          meta: { title: '医院与科室' },
        },
        {
          path: 'doctors',
          name: 'admin-doctors',
          component: () => import('./views/admin/Doctors.vue'),
          meta: { title: '医生' },
        },
        {
          path: 'schedules',
          name: 'admin-schedules',
          component: () => import('./views/admin/Schedules.vue'),
          meta: { title: '排班' },
        },
        {
          path: 'terminals',
          name: 'admin-terminals',
          component: () => import('./views/admin/Terminals.vue'),
          meta: { title: '终端' },
        },
        {
          path: 'intake',
          name: 'admin-intake',
          component: () => import('./views/admin/Intake.vue'),
          meta: { title: '接口密钥' },
        },
        {
          path: 'audit',
          name: 'admin-audit',
          component: () => import('./views/admin/Audit.vue'),
          meta: { title: '审计日志' },
        },
        {
          path: 'actions',
          name: 'admin-actions',
          component: () => import('./views/admin/Actions.vue'),
          meta: { title: '操作记录' },
        },
        {
          path: 'release-room',
          name: 'admin-release-room',
          component: () => import('./views/admin/ReleaseRoom.vue'),
          meta: { title: '放号排队' },
        },
        {
          path: 'card-phone',
          name: 'admin-card-phone',
          component: () => import('./views/admin/CardPhone.vue'),
          meta: { title: '柜台改手机号' },
        },
        {
          path: 'figures',
          name: 'admin-figures',
          component: () => import('./views/admin/Figures.vue'),
          meta: { title: '运营数据' },
        },
        {
          path: 'charges',
          name: 'admin-charges',
          component: () => import('./views/admin/Charges.vue'),
          meta: { title: '门诊缴费' },
        },
      ],
    },
    {
      path: '/:rest(.*)*',
      name: 'missing',
      component: () => import('./views/NotFound.vue'),
      meta: { title: '页面不存在' },
    },
  ],
})

router.beforeEach((to) => {
  if (to.meta.auth && !session.token) return { name: 'login', query: { next: to.fullPath } }
  if (to.matched.some((r) => r.meta.operator) && !operator.token)
    return { name: 'admin-login', query: { next: to.fullPath } }
})
router.afterEach((to) => {
  document.title = `${to.meta.title || '电子健康卡'} · 电子健康卡`
})
