import { Type } from 'typebox';
import { InstanceName } from './common.js';

/** connection.update: the connection with WhatsApp changed; `refused` means the hub gave up. */
export const ConnectionUpdateData = Type.Object({
  instance: Type.Object({ name: InstanceName, id: Type.String() }),
  state: Type.Union([Type.Literal('connecting'), Type.Literal('open'), Type.Literal('close'), Type.Literal('refused')]),
  /** 200 when open, else the disconnect status code (401, 408, 428, 440, 515, ...). */
  statusReason: Type.Integer()
});

/** qrcode.updated: a new pairing QR code; `base64` is a PNG data URL that decodes to `code`. */
export const QrcodeUpdatedData = Type.Object({
  name: InstanceName,
  qrcode: Type.Object({
    code: Type.String({ minLength: 1 }),
    base64: Type.String({ pattern: '^data:image/png;base64,' })
  })
});
