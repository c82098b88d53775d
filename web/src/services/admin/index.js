// The operator console's calls, one per endpoint of SPEC's operator contract.
import { request, qs } from '../http.js'
import { operator } from './session.js'
const op = (method, path, body) => request(method, `/admin${path}`, { body, token: operator.token })

export const login = (username, password) => request('POST', '/admin/login', { body: { username, password } })
export const logout = () => op('POST', '/logout')
export const getMe = () => op('GET', '/me')
export const listOperators = () => op('GET', '/operators')
export const createOperator = (form) => op('POST', '/operators', form)
export const retireOperator = (id) => op('POST', `/operators/${id}/retire`)

export const listHospitals = () => op('GET', '/hospitals')
export const createHospital = (form) => op('POST', '/hospitals', form)
export const updateHospital = (id, form) => op('PATCH', `/hospitals/${id}`, form)
export const retireHospital = (id) => op('POST', `/hospitals/${id}/retire`)

export const listDepartments = (hospitalId) => op('GET', `/hospitals/${hospitalId}/departments`)
export const createDepartment = (hospitalId, form) => op('POST', `/hospitals/${hospitalId}/departments`, form)
export const updateDepartment = (id, form) => op('PATCH', `/departments/${id}`, form)
export const retireDepartment = (id) => op('POST', `/departments/${id}/retire`)

export const listDoctors = (hospitalId) => op('GET', `/hospitals/${hospitalId}/doctors`)
export const createDoctor = (hospitalId, form) => op('POST', `/hospitals/${hospitalId}/doctors`, form)
export const updateDoctor = (id, form) => op('PATCH', `/doctors/${id}`, form)
export const retireDoctor = (id) => op('POST', `/doctors/${id}/retire`)

export const listSchedules = (hospitalId, params = {}) => op('GET', `/hospitals/${hospitalId}/schedules${qs(params)}`)
export const importSchedules = (hospitalId, schedules) =>
  op('POST', `/hospitals/${hospitalId}/schedules/import`, { schedules })
// The CSV as it is (Content-Type: text/csv): the report then names the file's own line numbers.
export const importSchedulesCsv = (hospitalId, csv) =>
  request('POST', `/admin/hospitals/${hospitalId}/schedules/import`, {
    body: csv,
    token: operator.token,
    headers: { 'Content-Type': 'text/csv' },
  })
export const updateSchedule = (id, form) => op('PATCH', `/schedules/${id}`, form)
export const retireSchedule = (id) => op('POST', `/schedules/${id}/retire`)
export const suspendSchedule = (id, reason) => op('POST', `/schedules/${id}/suspend`, { reason })

export const issueIntakeSecret = (hospitalId) => op('POST', `/hospitals/${hospitalId}/intake-secret`)

export const listTerminals = (hospitalId) => op('GET', `/terminals${qs({ hospital_id: hospitalId })}`)
export const registerTerminal = (hospitalId, name) => op('POST', '/terminals', { hospital_id: hospitalId, name })
export const disableTerminal = (id) => op('POST', `/terminals/${id}/disable`)
export const enableTerminal = (id) => op('POST', `/terminals/${id}/enable`)
export const rotateTerminal = (id) => op('POST', `/terminals/${id}/rotate`)

export const issueReferral = (form) => op('POST', '/referrals', form)
export const listAudit = (params = {}) => op('GET', `/audit${qs(params)}`)
export const listAccessLog = (params = {}) => op('GET', `/access-log${qs(params)}`)
export const getFigures = (params = {}) => op('GET', `/figures${qs(params)}`)
export const listHospitalCharges = (hospitalId, state) => op('GET', `/hospitals/${hospitalId}/charges${qs({ state })}`)
export const listOperatorActions = (params = {}) => op('GET', `/audit/actions${qs(params)}`)
export const resetCardPhone = (cardId, phone, reason) =>
  op('PUT', `/cards/${encodeURIComponent(cardId)}/phone`, { phone, reason })

// the release waiting room of a hospital: settings and live figures; on/off and the rate
export const getReleaseRoom = (hospitalId) => op('GET', `/hospitals/${hospitalId}/release-room`)
export const setReleaseRoom = (hospitalId, form) => op('PUT', `/hospitals/${hospitalId}/release-room`, form)
