import type { HttpTransport } from '../http';
import type {
  NotificationPreferences,
  PushDevice,
  RegisterDeviceInput,
  UpdateNotificationPreferencesInput,
} from '../types';

/** Push notifications (`push-*`) and the caller's notification preferences. */
export class PushApi {
  constructor(private readonly http: HttpTransport) {}

  /** Registers this device's FCM or APNs token; registering the same token again changes nothing. */
  registerDevice(input: RegisterDeviceInput): Promise<PushDevice> {
    return this.http.call('push-register-device', { body: input });
  }

  unregisterDevice(deviceId: string): Promise<void> {
    return this.http.call('push-unregister-device', { params: { deviceId } });
  }

  preferences(): Promise<NotificationPreferences> {
    return this.http.call('notification-preferences');
  }

  /** Push on or off, previews, and quiet hours (`{start: '22:00', end: '07:00', timeZone}` or null). */
  updatePreferences(input: UpdateNotificationPreferencesInput): Promise<NotificationPreferences> {
    return this.http.call('notification-preferences-update', { body: input });
  }
}
