import { DynamoDbSecretStore } from '../../src/adapters/dynamodb/dynamodb-secret-store';
import { secretStoreContract } from '../contract/secret-store.contract';
import { dynamo, freshTable, stopDynamo } from '../support/dynamo';

afterAll(stopDynamo);

secretStoreContract('DynamoDbSecretStore on dynalite over HTTP', async () => {
  const { client } = await dynamo();
  return new DynamoDbSecretStore({ client, tableName: await freshTable(client) });
});
