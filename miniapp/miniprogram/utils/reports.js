// Report rows and result lines ready for templates; labels shared with the web app
// (clients/shared/texts.js, copied here by scripts/build-npm.js).
const { REPORT_KINDS, RESULT_FLAGS, REPORT_STATUS } = require('../miniprogram_npm/ehealth-shared/texts.js')
const { formatDateTime } = require('./time')

const KIND_TABS = [{ key: '', label: '全部' }].concat(
  Object.keys(REPORT_KINDS).map((key) => ({ key, label: REPORT_KINDS[key] })),
)

function reportRow(r) {
  return {
    id: r.report_id,
    title: r.title,
    hospital: r.hospital_name,
    department: r.department || '',
    kind: REPORT_KINDS[r.kind] || r.kind,
    reportedAt: formatDateTime(r.reported_at),
    status: REPORT_STATUS[r.status] || r.status,
    amended: r.status === 'amended',
    amendedAt: r.amended_at ? formatDateTime(r.amended_at) : '',
    critical: Boolean(r.has_critical),
    hasPdf: Boolean(r.has_pdf),
    sensitive: Boolean(r.sensitive),
  }
}

function resultLine(line, index) {
  return {
    key: `${index}`,
    name: line.name,
    value: line.value,
    unit: line.unit || '',
    range: line.reference_range || '',
    flag: RESULT_FLAGS[line.flag] || line.flag,
    flagClass: line.critical ? 'critical' : line.flag === 'normal' ? '' : 'abnormal',
    arrow: line.flag === 'high' ? '↑' : line.flag === 'low' ? '↓' : '',
    critical: Boolean(line.critical),
  }
}

module.exports = { KIND_TABS, reportRow, resultLine }
