import { CHANNEL_TYPES, type ChannelType } from '@omni/core/types';

export interface ValidationError {
  field: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: ValidationError[];
}

export function isValidChannelType(value: unknown): value is ChannelType {
  return typeof value === 'string' && (CHANNEL_TYPES as readonly string[]).includes(value);
}

const REQUIRED_METHODS = [
  'initialize',
  'destroy',
  'connect',
  'disconnect',
  'getStatus',
  'getConnectedInstances',
  'sendMessage',
  'getHealth',
] as const;

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Structural check of a loaded plugin object; methods may come from the prototype chain. */
export function validatePluginInterface(plugin: unknown): ValidationResult {
  if (!plugin || typeof plugin !== 'object') {
    return { valid: false, errors: [{ field: 'plugin', message: 'Plugin must be an object' }] };
  }

  const candidate = plugin as Record<string, unknown>;
  const errors: ValidationError[] = [];

  if (!isNonEmptyString(candidate['id'])) {
    errors.push({ field: 'id', message: 'id must be a non-empty string' });
  } else if (!isValidChannelType(candidate['id'])) {
    errors.push({ field: 'id', message: `id must be a valid ChannelType: ${CHANNEL_TYPES.join(', ')}` });
  }

  for (const field of ['name', 'version'] as const) {
    if (!isNonEmptyString(candidate[field])) errors.push({ field, message: `${field} must be a non-empty string` });
  }

  if (!candidate['capabilities'] || typeof candidate['capabilities'] !== 'object') {
    errors.push({ field: 'capabilities', message: 'capabilities must be an object' });
  }

  for (const method of REQUIRED_METHODS) {
    if (typeof candidate[method] !== 'function') errors.push({ field: method, message: `${method} must be a function` });
  }

  return { valid: errors.length === 0, errors };
}

export function formatValidationErrors(errors: ValidationError[]): string {
  return errors.map(({ field, message }) => `- ${field}: ${message}`).join('\n');
}
