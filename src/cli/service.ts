import { SETTINGS } from '../config'
import { VERSION } from '../version'

/** How the service starts Lectr: the compiled binary alone, or Bun with the entry file (`bun src/main.ts`). */
export interface ServiceTarget {
  /** absolute path of the executable (process.execPath) */
  executable: string
  /** absolute path of the entry file when not compiled, else null */
  script: string | null
}

/** The running process as a service target. */
export function currentTarget(): ServiceTarget {
  const compiled = Bun.main.startsWith('/$bunfs/') || Bun.main.startsWith('B:/~BUN/')
  return { executable: process.execPath, script: compiled ? null : Bun.main }
}

/** A word of an ExecStart line, quoted when systemd would split or expand it. */
function execWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, '\\$&').replace(/\$/g, '$$$$')}"`
}

const DRAIN_DEFAULT = Number(SETTINGS.find((s) => s.key === 'drainSeconds')!.default)

/**
 * A hardened systemd unit for Lectr at `target` (pure: `lectr service` prints it). The drain on SIGTERM gets
 * `drainSeconds` plus time to write the last events before systemd would kill the process.
 */
export function systemdUnit(target: ServiceTarget, drainSeconds = DRAIN_DEFAULT): string {
  const exec = [target.executable, ...(target.script ? [target.script] : []), 'serve'].map(execWord).join(' ')
  const underHome = [target.executable, target.script ?? ''].some((p) => /^\/(home|root|run\/user)\//.test(p))
  return `# Lectr ${VERSION}: systemd unit printed by \`lectr service\`.
# Install:  lectr service | sudo tee /etc/systemd/system/lectr.service
#           sudo systemctl daemon-reload && sudo systemctl enable --now lectr
#           sudo journalctl -u lectr     (the admin token and the first org key are printed there once)
${underHome ? `# WARNING: ${target.script ? 'Bun or the entry file is' : 'the binary is'} under a home directory, which ProtectHome=yes hides from the
#          service: install it elsewhere first (e.g. /usr/local/bin/lectr) and run \`lectr service\` from there.
` : ''}${target.script ? `# Started through Bun (\`bun src/main.ts\`): the compiled binary (\`make build\`, dist/lectr) needs neither.
` : ''}
[Unit]
Description=Lectr LLM proxy
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
ExecStart=${exec}
# SIGHUP re-reads the registry file.
ExecReload=/bin/kill -HUP $MAINPID
# A user made for the service; its database lives in /var/lib/lectr, the only place it may write.
DynamicUser=yes
StateDirectory=lectr
StateDirectoryMode=0700
WorkingDirectory=/var/lib/lectr
UMask=0077
Environment=LECTR_DB=/var/lib/lectr/lectr.db
# Behind a reverse proxy on the same machine, listen on loopback only:
# Environment=LECTR_HOST=127.0.0.1
# Environment=LECTR_PORT=8080
# Secrets (LECTR_ADMIN_TOKEN, ...) in a root-owned file with mode 0600, one NAME=value a line:
# EnvironmentFile=/etc/lectr/lectr.env

# SIGTERM drains in-flight requests (LECTR_DRAIN_SECONDS, ${drainSeconds} s), then writes every pending event:
# systemd waits longer than that before it kills.
KillSignal=SIGTERM
TimeoutStopSec=${drainSeconds + 30}
Restart=on-failure
RestartSec=2
LimitNOFILE=65536

# Hardening. MemoryDenyWriteExecute=yes is left out on purpose: JavaScriptCore's JIT writes machine code into
# executable memory; denied that, Bun still runs but falls back to its interpreter (measured 8x slower).
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`
}

/** `lectr service`: prints the unit for this binary at its current path. */
export function serviceCommand(args: string[], env: Record<string, string | undefined>): number {
  if (args.length) {
    console.error('usage: lectr service   (prints a systemd unit for this binary; takes no arguments)')
    return 2
  }
  const drain = Number(env.LECTR_DRAIN_SECONDS)
  process.stdout.write(systemdUnit(currentTarget(), Number.isFinite(drain) && drain >= 0 ? drain : DRAIN_DEFAULT))
  return 0
}
