export interface LiveAttempt {
  id: string;
  accountId: string;
  webhookId: string;
  status: 'SUCCEEDED' | 'FAILED';
}
