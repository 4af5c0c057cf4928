import { useCallback, useEffect, useState } from 'react';
import { asApiError, get, type ApiError } from '../api.ts';

/**
 * GETs a list, with its failure and a way to load it again after a change; no path,
 * no request (a list only some roles read).
 */
export function useList<T>(path: string | undefined) {
  const [rows, setRows] = useState<T[]>();
  const [error, setError] = useState<ApiError>();
  const reload = useCallback(() => {
    if (path === undefined) return;
    get<T[]>(path).then(
      (r) => {
        setRows(r);
        setError(undefined);
      },
      (e) => setError(asApiError(e)),
    );
  }, [path]);
  useEffect(reload, [reload]);
  return { rows, error, reload, setError };
}
