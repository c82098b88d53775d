import { reactive } from 'vue'
const KEY = 'ehealth.operator'
export const operator = reactive(JSON.parse(localStorage.getItem(KEY) || '{"token":null,"username":null}'))
export function saveOperator(data) {
  Object.assign(operator, data)
  localStorage.setItem(KEY, JSON.stringify(operator))
}
export function clearOperator() {
  saveOperator({ token: null, username: null, role: null })
  localStorage.removeItem(KEY)
}
