import { request, qs } from '../http.js'
export const listHospitals = () => request('GET', '/hospitals')
export const listDepartments = (hospitalId) => request('GET', `/hospitals/${hospitalId}/departments`)
export const listSchedules = (departmentId, date) =>
  request('GET', `/departments/${departmentId}/schedules${qs({ date })}`)
export const getSchedule = (scheduleId) => request('GET', `/schedules/${scheduleId}`)
