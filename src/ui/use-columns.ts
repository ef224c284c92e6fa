/** Terminal width in columns, re-read when the terminal is resized. */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

const FALLBACK_COLUMNS = 80;

export function useColumns(): number {
  const { stdout } = useStdout();
  const read = (): number => {
    const c = stdout.columns;
    return typeof c === 'number' && c > 0 ? c : FALLBACK_COLUMNS;
  };
  const [columns, setColumns] = useState(read);
  useEffect(() => {
    const onResize = (): void => setColumns(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return columns;
}
