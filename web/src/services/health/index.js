import { request } from '../http.js'
// GET /health: service status and the service clock (terminals and countdowns sync to it).
export const getHealth = () => request('GET', '/health')
