namespace Overlay.Subnets.Tests;

/// <summary>
/// A clock for loop tests without sleeps: timers due within <see cref="ShortThreshold"/> (retry
/// back-offs) fire at once and their delays are recorded; longer ones (renewal times) wait until the
/// test fires them with <see cref="FireLongTimers"/>.
/// </summary>
internal sealed class ControlledTimeProvider(DateTimeOffset now) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<PendingTimer> _long = [];
    private readonly List<TimeSpan> _short = [];
    private TaskCompletionSource _longArmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan ShortThreshold { get; init; } = TimeSpan.FromMinutes(5);

    public DateTimeOffset Now { get; set; } = now;

    public IReadOnlyList<TimeSpan> ShortDelays
    {
        get
        {
            lock (_lock)
            {
                return [.. _short];
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime <= ShortThreshold)
        {
            lock (_lock)
            {
                _short.Add(dueTime);
            }

            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        var timer = new PendingTimer(this, callback, state, dueTime);
        lock (_lock)
        {
            _long.Add(timer);
            _longArmed.TrySetResult();
        }

        return timer;
    }

    /// <summary>Waits (hang guard: 30 s) until a long timer is armed and returns its due time.</summary>
    public async Task<TimeSpan> WaitForLongTimerAsync()
    {
        while (true)
        {
            Task armed;
            lock (_lock)
            {
                if (_long.Count > 0)
                {
                    return _long[^1].Due;
                }

                armed = _longArmed.Task;
            }

            await armed.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Moves the clock to the latest long timer's due time and fires every long timer.</summary>
    public void FireLongTimers()
    {
        List<PendingTimer> due;
        lock (_lock)
        {
            due = [.. _long];
            _long.Clear();
            _longArmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        foreach (PendingTimer timer in due)
        {
            if (timer.Due != Timeout.InfiniteTimeSpan)
            {
                Now = timer.Created + timer.Due;
            }

            timer.Fire();
        }
    }

    private void Remove(PendingTimer timer)
    {
        lock (_lock)
        {
            _long.Remove(timer);
        }
    }

    private sealed class PendingTimer(ControlledTimeProvider owner, TimerCallback callback, object? state, TimeSpan due) : ITimer
    {
        public TimeSpan Due { get; } = due;

        public DateTimeOffset Created { get; } = owner.Now;

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Remove(this);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
