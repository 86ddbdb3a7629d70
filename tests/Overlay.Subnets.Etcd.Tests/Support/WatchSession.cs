namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>A lease watch a test reads batch by batch; cancelled and disposed at the end.</summary>
public sealed class WatchSession : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly IAsyncEnumerator<LeaseEventBatch> _enumerator;

    public WatchSession(Func<CancellationToken, IAsyncEnumerable<LeaseEventBatch>> watch)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _enumerator = watch(_cts.Token).GetAsyncEnumerator(_cts.Token);
    }

    /// <summary>The next batch; fails (never hangs) when none arrives within the hang guard.</summary>
    public async Task<LeaseEventBatch> NextAsync()
    {
        Task<bool> next = _enumerator.MoveNextAsync().AsTask();
        Task first = await Task.WhenAny(next, Task.Delay(EtcdTestBase.HangGuard, TestContext.Current.CancellationToken));
        Assert.True(first == next, $"no lease batch arrived within {EtcdTestBase.HangGuard}");
        Assert.True(await next, "the watch ended");
        return _enumerator.Current;
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try
        {
            await _enumerator.DisposeAsync();
        }
        catch (Exception)
        {
        }

        _cts.Dispose();
    }
}
