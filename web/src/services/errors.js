// The sentence a resident, a nurse or an operator reads for an API error: the table and its
// rules are shared with the mini-program (clients/shared/texts.js).
import { describeError } from '../../../clients/shared/texts.js'

// error: the API's error body {code, message, ...details}; status: its HTTP status if known
export function describe(error, status) {
  if (!error) return ''
  return describeError(error, status)
}
