// Every webhook's attempts in the account, streaming.
import { LiveLog } from './LiveLog';

export function AccountLogPage() {
  return (
    <>
      <h1>Delivery log</h1>
      <LiveLog title="All webhooks" />
    </>
  );
}
