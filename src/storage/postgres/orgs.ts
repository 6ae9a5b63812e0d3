// Placeholder (replaced at merge by the pgsettings branch's PostgresOrgs): lets the wiring compile.
import type { SQL } from 'bun'
import type { AzureSettings, Org, OrgKey, OrgRepository, OrgsInForce } from '../orgs'

const notBuilt = () => new Error('not built yet')

export class PostgresOrgs implements OrgRepository {
  constructor(_sql: SQL, _opts: object = {}) {}
  get inForce(): OrgsInForce {
    throw notBuilt()
  }
  refresh(): Promise<void> {
    throw notBuilt()
  }
  list(): Promise<Org[]> {
    throw notBuilt()
  }
  get(_id: string): Promise<Org | null> {
    throw notBuilt()
  }
  create(_name: string): Promise<{ org: Org; key: string; keyId: string } | null> {
    throw notBuilt()
  }
  ensureDefault(): Promise<string | null> {
    throw notBuilt()
  }
  markDefaultKeyShown(): Promise<void> {
    throw notBuilt()
  }
  addKey(_orgId: string, _label: string | null): Promise<{ key: string; keyId: string; prefix: string }> {
    throw notBuilt()
  }
  listKeys(_orgId: string): Promise<OrgKey[]> {
    throw notBuilt()
  }
  revokeKey(_orgId: string, _keyId: string): Promise<boolean> {
    throw notBuilt()
  }
  getAzure(_orgId: string): Promise<AzureSettings | null> {
    throw notBuilt()
  }
  putAzure(_orgId: string, _endpoint: string, _apiVersion: string): Promise<AzureSettings> {
    throw notBuilt()
  }
  deleteAzure(_orgId: string): Promise<boolean> {
    throw notBuilt()
  }
}
