const http = require('../utils/request')

module.exports = {
  // GET /family -> [{member_id, card, relation, linked_at, removable_at}]
  listFamily: () => http.get('/family'),
  // POST /family {name, id_number, phone, relation, sms_code} -> 201 member
  addFamilyMember: ({ name, idNumber, phone, relation, smsCode }) =>
    http.post('/family', { name, id_number: idNumber, phone, relation, sms_code: smsCode }),
  // DELETE /family/{member_id} -> 204, or 409 removal_locked with removable_at
  removeFamilyMember: (memberId) => http.del(`/family/${memberId}`),
}
