// Outpatient charges (门诊缴费) as both clients show them: grouped by hospital and visit, and the
// selection rules of one payment (one hospital, a pay_group all or none, payable charges only).
// The server checks all of it again: these rules only keep the resident from a refusal.

// [{hospitalId, hospitalName, visits: [{visit, department, doctor, orderedAt, charges}]}], in the
// order the charges came (newest first)
export function groupCharges(charges) {
  const hospitals = []
  ;(charges || []).forEach((c) => {
    let h = hospitals.find((x) => x.hospitalId === c.hospital_id)
    if (!h) {
      h = { hospitalId: c.hospital_id, hospitalName: c.hospital_name, visits: [] }
      hospitals.push(h)
    }
    let v = h.visits.find((x) => x.visit === c.visit)
    if (!v) {
      v = { visit: c.visit, department: c.department, doctor: c.doctor, orderedAt: c.ordered_at, charges: [] }
      h.visits.push(v)
    }
    v.charges.push(c)
  })
  return hospitals
}

// The selection after tapping `charge`: its pay_group goes in or out with it; a charge of another
// hospital (or another card's list) starts a new selection; a charge that cannot be paid online
// changes nothing. `selected` is an array of charge ids.
export function toggleCharge(selected, charge, charges) {
  if (!charge || !charge.payable) return selected.slice()
  const all = charges || []
  const mates = charge.pay_group
    ? all.filter((c) => c.pay_group === charge.pay_group && c.hospital_id === charge.hospital_id && c.payable)
    : [charge]
  const ids = mates.map((c) => c.charge_id)
  if (selected.includes(charge.charge_id)) return selected.filter((id) => !ids.includes(id))
  const sameHospital = selected.filter((id) => {
    const c = all.find((x) => x.charge_id === id)
    return c && c.hospital_id === charge.hospital_id
  })
  return sameHospital.concat(ids.filter((id) => !sameHospital.includes(id)))
}

export function selectionTotal(selected, charges) {
  return (charges || []).filter((c) => selected.includes(c.charge_id)).reduce((sum, c) => sum + c.total_fen, 0)
}

// The body of POST /outpatient/payments for a selection: the versions the resident saw go with it
export function paymentRequest(selected, charges, cardId) {
  const chosen = (charges || []).filter((c) => selected.includes(c.charge_id))
  return {
    hospital_id: chosen.length ? chosen[0].hospital_id : null,
    card_id: cardId,
    charge_ids: chosen.map((c) => c.charge_id),
    versions: chosen.map((c) => c.version),
  }
}
