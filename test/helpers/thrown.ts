/** The error `fn` throws; fails the test when it throws nothing. */
const thrownBy = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
};

export { thrownBy };
