import { App } from 'aws-cdk-lib';
import { StatefulStack } from './statefulStack.js';

const app = new App();
new StatefulStack(app, 'JitBrokerStateful', {
  description: 'jit-broker: grant table (state that outlives redeploys)',
});
app.synth();
