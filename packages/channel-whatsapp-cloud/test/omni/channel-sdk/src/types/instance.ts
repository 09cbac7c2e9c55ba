export interface InstanceConfig {
  instanceId: string;
  credentials: Record<string, unknown>;
  options?: Record<string, unknown>;
  webhookUrl?: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export interface ConnectionStatus {
  state: ConnectionState;
  since: Date;
  message?: string;
  error?: {
    code: string;
    message: string;
    retryable: boolean;
  };
  metadata?: {
    profileName?: string;
    profilePicUrl?: string;
    ownerIdentifier?: string;
  };
  qrCode?: {
    code: string;
    expiresAt: Date;
  };
}

export interface InstanceState {
  instanceId: string;
  status: ConnectionStatus;
  config: InstanceConfig;
  createdAt: Date;
  lastActivity: Date;
}
