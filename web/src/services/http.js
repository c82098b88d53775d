// One fetch wrapper for every service: JSON in and out, errors as ApiError with the API's code.
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {
      code: status >= 500 ? 'internal' : 'invalid_request',
      message: `HTTP ${status}`,
    }
    super(error.message)
    this.status = status
    this.code = error.code
    this.details = error
  }
}

export const API = '/api/v1'

// Set by main.js: an expired resident or operator session (401 to a call that sent its token)
// loses its stored token and goes back to its login page.
let onUnauthorized = () => {}
export function whenUnauthorized(handler) {
  onUnauthorized = handler
}

export async function request(method, path, { body, token, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } }
  if (token) init.headers.Authorization = `Bearer ${token}`
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    init.headers['Content-Type'] ??= 'application/json'
  }
  let response
  try {
    response = await fetch(API + path, init)
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: String(e) } })
  }
  if (raw) return response
  if (response.status === 204) return null
  const text = await response.text()
  const data = text ? JSON.parse(text) : null
  if (!response.ok) {
    const error = new ApiError(response.status, data)
    if (response.status === 401 && token) onUnauthorized(error, token)
    throw error
  }
  return data
}

export const qs = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')
  return entries.length ? '?' + new URLSearchParams(entries).toString() : ''
}
