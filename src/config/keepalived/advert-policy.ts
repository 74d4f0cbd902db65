// lower_prio_no_advert, higher_prio_send_advert and down_timer_adverts: an instance's own value, else
// the vrrp_ global's, with keepalived 2.2.7's strict-mode rules (its vrrp_complete_instance): strict
// mode turns the first on and the second off unless they are written, refuses them written the other
// way, and puts the down timer back to the RFC's 3 adverts.

import type { LinuxRouterInput } from '../../model/runtime-input.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import type { AdvertPolicy } from './globals.js';

/** An instance's own values, with where each keyword was written. */
export type InstanceAdvertPolicy = AdvertPolicy & { readonly at?: Readonly<Record<string, SourcePosition>> };

type RouterAdvertPolicy = Pick<
  LinuxRouterInput,
  'lowerPriorityNoAdvert' | 'higherPrioritySendAdvert' | 'downTimerAdverts'
>;

const RFC_DOWN_TIMER_ADVERTS = 3;

export function resolveAdvertPolicy(
  own: InstanceAdvertPolicy,
  global: AdvertPolicy,
  strict: boolean,
  instance: SourcePosition,
  diagnostics: DiagnosticList,
): RouterAdvertPolicy {
  const at = (keyword: string): SourcePosition => own.at?.[keyword] ?? instance;
  let lower = own.lowerPriorityNoAdvert ?? (strict ? true : (global.lowerPriorityNoAdvert ?? false));
  if (strict && !lower) {
    diagnostics.error(
      at('lower_prio_no_advert'),
      'strict mode does not answer a lower-priority advert (keepalived resets lower_prio_no_advert and its -t fails): remove "lower_prio_no_advert off"',
    );
    lower = true;
  }
  let higher = own.higherPrioritySendAdvert ?? (strict ? false : global.higherPrioritySendAdvert);
  if (strict && higher === true) {
    diagnostics.error(
      at('higher_prio_send_advert'),
      'strict mode sends no advert on hearing a higher priority (keepalived resets higher_prio_send_advert and its -t fails): remove it',
    );
    higher = false;
  }
  let down = own.downTimerAdverts ?? global.downTimerAdverts;
  if (strict && down !== undefined && down !== RFC_DOWN_TIMER_ADVERTS) {
    diagnostics.warning(
      at('down_timer_adverts'),
      `down_timer_adverts ${down} does not go with strict mode: ${RFC_DOWN_TIMER_ADVERTS} is used, as keepalived resets it`,
    );
    down = RFC_DOWN_TIMER_ADVERTS;
  }
  return {
    ...(lower ? { lowerPriorityNoAdvert: true } : {}),
    ...(higher !== undefined ? { higherPrioritySendAdvert: higher } : {}),
    ...(down !== undefined && down !== RFC_DOWN_TIMER_ADVERTS ? { downTimerAdverts: down } : {}),
  };
}
