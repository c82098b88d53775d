const http = require('../utils/request')

module.exports = {
  // GET /hospitals -> [{id, code, name, release_time, status}]
  listHospitals: () => http.get('/hospitals', { auth: false }),
  // GET /hospitals/{id}/departments -> [{id, hospital_id, code, name}]
  listDepartments: (hospitalId) => http.get(`/hospitals/${hospitalId}/departments`, { auth: false }),
  // GET /departments/{id}/schedules?date=YYYY-MM-DD -> [schedule] with live remaining slots
  listSchedules: (departmentId, date) =>
    http.get(`/departments/${departmentId}/schedules`, { query: { date }, auth: false }),
  // GET /schedules/{id} -> schedule
  getSchedule: (scheduleId) => http.get(`/schedules/${scheduleId}`, { auth: false }),
}
