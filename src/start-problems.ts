import { StartError } from './start-error'

/**
 * The plain line for a server that could not listen, naming the setting to change.
 * @example listenProblem(Object.assign(new Error(), { code: 'EADDRINUSE' }), '0.0.0.0', 8080)
 */
export function listenProblem(err: Error & { code?: string }, host: string, port: number): StartError {
  const where = `${host}:${port}`
  switch (err.code) {
    case 'EADDRINUSE':
      return new StartError(`--port / LECTR_PORT: port ${port} on ${host} is already in use by another program: choose another port (0 picks a free one) or stop that program`)
    case 'EACCES':
      return new StartError(`--port / LECTR_PORT: not allowed to listen on ${where} (ports below 1024 need privileges): choose a port from 1024 up`)
    case 'EADDRNOTAVAIL':
      return new StartError(`--host / LECTR_HOST: ${host} is not an address of this machine: use one of its addresses, 127.0.0.1 or 0.0.0.0`)
    case 'EINVAL':
    case 'ENOTFOUND':
      return new StartError(`--host / LECTR_HOST: cannot listen on ${JSON.stringify(host)}: give an IP address of this machine, 127.0.0.1 or 0.0.0.0`)
    default:
      return new StartError(`--host / LECTR_HOST, --port / LECTR_PORT: cannot listen on ${where}: ${err.message.split('\n')[0]}`)
  }
}
