import { secretStoreContract } from '../contract/secret-store.contract';
import { MemorySecretStore } from '../support/memory-store';

secretStoreContract('MemorySecretStore (the core tests fake)', async () => new MemorySecretStore());
