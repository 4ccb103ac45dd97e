import { useLazyQuery, useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { DailyReportDocument, JobRunsDocument, JobsDocument, RunJobDocument, SetJobEnabledDocument } from '../../__generated__/graphql';
import { ErrorMessage, Loading } from '../../components/Status';
import { formatMoney } from '../../money';

/** Batch jobs: run now, enable/disable, run history, and the daily report. */
export function AdminJobs() {
  const jobs = useQuery(JobsDocument, { fetchPolicy: 'cache-and-network' });
  const runs = useQuery(JobRunsDocument, { variables: { first: 30 }, fetchPolicy: 'cache-and-network' });
  const [run, running] = useMutation(RunJobDocument);
  const [setEnabled, setting] = useMutation(SetJobEnabledDocument);
  const refresh = () => void Promise.all([jobs.refetch(), runs.refetch()]);
  return (
    <section aria-label="Jobs">
      {jobs.loading && !jobs.data && <Loading what="jobs" />}
      <ErrorMessage error={jobs.error ?? running.error ?? setting.error} />
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Schedule</th>
            <th>Last run</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.data?.jobs?.map((job) => (
            <tr key={job.name}>
              <td title={job.description}>{job.name}</td>
              <td>
                {job.schedule} ({job.timeZone}){job.enabled ? '' : ', disabled'}
              </td>
              <td>{job.lastRun ? `${job.lastRun.status} ${job.lastRun.finishedAt ? new Date(job.lastRun.finishedAt).toLocaleString() : ''}` : '—'}</td>
              <td>
                <button type="button" disabled={running.loading} onClick={() => void run({ variables: { name: job.name } }).then(refresh, () => undefined)}>
                  Run {job.name}
                </button>
                <button
                  type="button"
                  disabled={setting.loading}
                  onClick={() => void setEnabled({ variables: { name: job.name, enabled: !job.enabled } }).then(refresh, () => undefined)}
                >
                  {job.enabled ? 'Disable' : 'Enable'} {job.name}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>History</h2>
      <ErrorMessage error={runs.error} />
      <ol className="runs">
        {runs.data?.jobRuns?.edges.map(({ node }) => (
          <li key={node.id}>
            {node.job} · {node.status} · {node.trigger.toLowerCase()} · attempt {node.attempt} · {new Date(node.queuedAt).toLocaleString()}
            {node.error ? ` · ${node.error}` : ''}
          </li>
        ))}
      </ol>
      <DailyReportForm />
    </section>
  );
}

function DailyReportForm() {
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [load, report] = useLazyQuery(DailyReportDocument, { fetchPolicy: 'network-only' });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void load({ variables: { date } }).catch(() => undefined);
  };
  const day = report.data?.dailyReport;
  return (
    <form className="card report" onSubmit={submit}>
      <h2>Daily report</h2>
      <label>
        Day
        <input type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
      </label>
      <button type="submit" disabled={report.loading}>
        Show report
      </button>
      <ErrorMessage error={report.error} />
      {report.data && !day && <p className="hint">No report for that day.</p>}
      {day && (
        <dl>
          <dt>New users</dt>
          <dd>{day.newUsers}</dd>
          <dt>Active users</dt>
          <dd>{day.activeUsers}</dd>
          <dt>Messages sent</dt>
          <dd>{day.messagesSent}</dd>
          <dt>Orders placed</dt>
          <dd>{day.ordersPlaced}</dd>
          <dt>Orders paid</dt>
          <dd>{day.ordersPaid}</dd>
          <dt>Revenue</dt>
          <dd>{formatMoney(day.revenue)}</dd>
        </dl>
      )}
    </form>
  );
}
