import type { Registry } from '../registry/schema'

/** GET /v1/models: the registry's models in OpenAI's list shape. */
export function modelsList(registry: Registry) {
  return {
    object: 'list',
    data: registry.file.models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })),
  }
}
