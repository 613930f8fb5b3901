import createError from '@fastify/error';

/**
 * Every refusal the hub gives, with a stable code and HTTP status. Callers branch
 * on `code`; the same codes travel in socket acknowledgements. The wire shape
 * is always the event map's `{status, error, message}`.
 */
export const Errors = {
  badRequest: createError<[string]>('HUB_BAD_REQUEST', '%s', 400),
  unauthorized: createError('HUB_UNAUTHORIZED', 'missing or invalid API key or token', 401),
  forbidden: createError<[string]>('HUB_FORBIDDEN', 'this token may not use instance %s', 403),
  adminOnly: createError<[string]>('HUB_ADMIN_ONLY', '%s needs the admin key', 403),
  instanceNotFound: createError<[string]>('HUB_INSTANCE_NOT_FOUND', 'instance %s does not exist', 404),
  numberNotOnWhatsApp: createError<[string]>('HUB_NOT_ON_WHATSAPP', 'The number %s is not a valid whatsapp contact', 404),
  instanceExists: createError<[string]>('HUB_INSTANCE_EXISTS', 'instance %s already exists', 409),
  notConnected: createError<[string, string]>('HUB_NOT_CONNECTED', 'instance %s is not connected (state: %s)', 409),
  queueNotFound: createError<[string]>('HUB_QUEUE_NOT_FOUND', 'queue %s does not exist', 404),
  illegalQueueMove: createError<[string, string]>('HUB_QUEUE_STATE', 'a queue that is %s cannot be %s', 409),
  webhookNotFound: createError<[string]>('HUB_WEBHOOK_NOT_FOUND', 'webhook %s does not exist', 404),
  groupNotFound: createError<[string]>('HUB_GROUP_NOT_FOUND', 'group %s does not exist', 404),
  notGroupMember: createError<[string]>('HUB_NOT_GROUP_MEMBER', 'the instance is not a participant of group %s', 403),
  notGroupAdmin: createError<[string]>('HUB_NOT_GROUP_ADMIN', 'the instance is not an admin of group %s', 403),
  inviteNotValid: createError('HUB_INVITE_NOT_VALID', 'the invite code is not valid or was revoked', 404),
  groupFailed: createError<[string]>('HUB_GROUP_FAILED', 'WhatsApp did not accept the group change: %s', 502),
  tooManyRequests: createError('HUB_RATE_LIMITED', 'too many requests', 429),
  replayInFlight: createError('HUB_REPLAY_IN_FLIGHT', 'a replay is already running on this socket; wait for its acknowledgement', 429),
  tokenRevoked: createError('HUB_TOKEN_REVOKED', 'the instance of this token was deleted', 401),
  sendFailed: createError<[string]>('HUB_SEND_FAILED', 'WhatsApp did not accept the message: %s', 502),
  appStateFailed: createError<[string]>('HUB_APP_STATE_FAILED', 'WhatsApp did not accept the chat change: %s', 502),
  mediaTooLarge: createError<[number]>('HUB_MEDIA_TOO_LARGE', 'the media is larger than MEDIA_MAX_BYTES (%d bytes)', 413),
  mediaNotFound: createError<[string]>('HUB_MEDIA_NOT_FOUND', 'no media for message %s', 404),
  mediaUnavailable: createError<[string]>('HUB_MEDIA_UNAVAILABLE', 'the media could not be fetched from WhatsApp: %s', 502),
  storeUnavailable: createError<[string]>('HUB_STORE_UNAVAILABLE', 'the store cannot be written (%s); instances stay closed until it can', 503),
  otherNode: createError<[string]>('HUB_OTHER_NODE', 'instance %s is open on another node of the cluster', 409),
  uploadNotShared: createError<[string]>(
    'HUB_OTHER_NODE',
    'instance %s is open on another node of the cluster, which cannot read the uploaded file from its media folder: share DATA_DIR/media between the nodes, or send the file by URL or base64',
    409
  ),
  ownerUnreachable: createError<[string]>('HUB_OWNER_UNREACHABLE', 'the node that runs instance %s did not answer', 503)
} as const;

const PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable'
};

/** The event map's error shape. */
export interface ErrorBody {
  status: number;
  error: string;
  message: string;
}

/** Maps anything thrown to the wire shape; 5xx details stay in the logs, not with the client. */
export function toErrorBody(err: unknown): ErrorBody {
  const e = err as { statusCode?: number; status?: number; message?: string; validation?: unknown };
  const raw = e?.statusCode ?? e?.status;
  const status = typeof raw === 'number' && raw >= 400 && raw < 600 ? raw : e?.validation ? 400 : 500;
  // 502 and 503 say what is wrong outside the hub's code (WhatsApp, the disk), which the caller needs to know.
  const message = status >= 500 && status !== 502 && status !== 503 ? 'internal error' : (e?.message ?? 'error');
  return { status, error: PHRASES[status] ?? 'Error', message };
}
