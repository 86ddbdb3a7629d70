using System.Buffers.Binary;
using Overlay.Vici.Tests.Support;

namespace Overlay.Vici.Tests;

/// <summary>The client's behaviour against a scripted fake charon: errors, time-outs, malformed input, reconnection.</summary>
public sealed class ViciClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Confirm = FakeCharon.Packet(5);

    private static byte[] Response(params byte[][] elements) => FakeCharon.Packet(1, body: [.. elements.SelectMany(e => e)]);

    private static byte[] Event(string name, params byte[][] elements) => FakeCharon.Packet(7, name, [.. elements.SelectMany(e => e)]);

    /// <summary>Answers commands with success (echoing the command's name as "cmd") and confirms event (un)registrations.</summary>
    private static IEnumerable<byte[]> Cooperative(byte[] packet) => Capture.TypeOf(packet) switch
    {
        0 => [Response(FakeCharon.KeyValue("success", "yes"), FakeCharon.KeyValue("cmd", Capture.NameOf(packet)!))],
        3 or 4 => [Confirm],
        _ => [],
    };

    private static Task<ViciClient> ConnectAsync(FakeCharon charon, TimeSpan? timeout = null) =>
        ViciClient.ConnectAsync(new ViciClientOptions
        {
            SocketPath = charon.SocketPath,
            CommandTimeout = timeout ?? TimeSpan.FromSeconds(10),
            ReconnectDelay = TimeSpan.FromMilliseconds(20),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        }, cancellationToken: Ct);

    [Fact]
    public async Task A_missing_socket_is_a_transient_error_naming_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovl-vici-missing-{Guid.NewGuid():N}.vici");
        ViciException error = await Assert.ThrowsAsync<ViciException>(() => ViciClient.ConnectAsync(new ViciClientOptions { SocketPath = path }, cancellationToken: Ct));
        Assert.True(error.IsTransient);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_reuse_one_connection_and_errors_carry_the_reason()
    {
        await using var charon = new FakeCharon(p => Capture.NameOf(p) switch
        {
            "load-conn" => [Response(FakeCharon.KeyValue("success", "no"), FakeCharon.KeyValue("errmsg", "parsing 'x' failed"))],
            "nonsense" => [FakeCharon.Packet(2)],
            _ => Cooperative(p),
        });
        await using ViciClient client = await ConnectAsync(charon);
        Assert.Equal("version", (await client.CallCheckedAsync("version", cancellationToken: Ct)).GetString("cmd"));
        ViciCommandException refused = await Assert.ThrowsAsync<ViciCommandException>(() => client.CallCheckedAsync("load-conn", new ViciMessage().Add("x", "y"), Ct));
        Assert.Equal("parsing 'x' failed", refused.ErrorMessage);
        Assert.Contains("load-conn", refused.Message, StringComparison.Ordinal);
        ViciCommandException unknown = await Assert.ThrowsAsync<ViciCommandException>(() => client.CallAsync("nonsense", cancellationToken: Ct));
        Assert.True(unknown.IsUnknownCommand);
        Assert.Equal("stats", (await client.CallCheckedAsync("stats", cancellationToken: Ct)).GetString("cmd"));
        Assert.Equal(1, charon.Accepted);
    }

    [Fact]
    public async Task Concurrent_calls_are_answered_in_turn()
    {
        await using var charon = new FakeCharon(Cooperative);
        await using ViciClient client = await ConnectAsync(charon);
        string[] names = [.. Enumerable.Range(0, 50).Select(i => $"cmd-{i}")];
        ViciMessage[] answers = await Task.WhenAll(names.Select(n => client.CallCheckedAsync(n, cancellationToken: Ct)));
        Assert.Equal(names, answers.Select(a => a.GetString("cmd")));
    }

    [Fact]
    public async Task No_answer_in_time_is_a_transient_error_and_the_next_call_uses_a_new_connection()
    {
        await using var charon = new FakeCharon(p => Capture.NameOf(p) == "slow" ? [] : Cooperative(p));
        await using ViciClient client = await ConnectAsync(charon, TimeSpan.FromMilliseconds(300));
        ViciException late = await Assert.ThrowsAsync<ViciException>(() => client.CallAsync("slow", cancellationToken: Ct));
        Assert.True(late.IsTransient);
        Assert.Contains("slow", late.Message, StringComparison.Ordinal);
        Assert.Equal("fast", (await client.CallCheckedAsync("fast", cancellationToken: Ct)).GetString("cmd"));
        Assert.Equal(2, charon.Accepted);
    }

    [Fact]
    public async Task A_malformed_or_oversized_packet_from_the_peer_closes_the_connection_with_a_transient_error()
    {
        byte[] unclosedSection = FakeCharon.Packet(1, body: [1, 1, (byte)'s', 3, 1, (byte)'k', 0, 1, (byte)'v']);
        byte[] unknownElement = FakeCharon.Packet(1, body: [9]);
        byte[] oversized = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(oversized, 64 * 1024 * 1024);
        byte[] deep = FakeCharon.Packet(1, body: [.. Enumerable.Repeat(new byte[] { 1, 1, (byte)'s' }, 40).SelectMany(b => b), .. Enumerable.Repeat((byte)2, 40)]);
        foreach (byte[] bad in new[] { unclosedSection, unknownElement, oversized, deep })
        {
            await using var charon = new FakeCharon(p => Capture.NameOf(p) == "bad" ? [bad] : Cooperative(p));
            await using ViciClient client = await ConnectAsync(charon);
            ViciException error = await Assert.ThrowsAsync<ViciException>(() => client.CallAsync("bad", cancellationToken: Ct));
            Assert.True(error.IsTransient, error.Message);
            Assert.Equal("next", (await client.CallCheckedAsync("next", cancellationToken: Ct)).GetString("cmd"));
        }
    }

    [Fact]
    public async Task Answers_split_across_many_writes_are_read_whole()
    {
        byte[] big = Response(FakeCharon.KeyValue("success", "yes"), FakeCharon.KeyValue("blob", new string('b', 60000)));
        await using var charon = new FakeCharon(p => Capture.NameOf(p) == "big" ? big.Chunk(7).ToArray() : Cooperative(p));
        await using ViciClient client = await ConnectAsync(charon);
        Assert.Equal(60000, (await client.CallCheckedAsync("big", cancellationToken: Ct)).GetString("blob")!.Length);
    }

    [Fact]
    public async Task A_subscription_receives_events_and_survives_charon_dropping_the_connection()
    {
        await using var charon = new FakeCharon(Cooperative);
        await using ViciClient client = await ConnectAsync(charon);
        await using IAsyncEnumerator<ViciMessage> events = client.SubscribeAsync("ike-updown", Ct).GetAsyncEnumerator(Ct);
        Task<bool> first = events.MoveNextAsync().AsTask();
        await WaitUntilAsync(() => charon.Received.Count(p => Capture.TypeOf(p) == 3) == 1);
        await charon.PushAsync(Event("ike-updown", FakeCharon.KeyValue("up", "yes")));
        Assert.True(await first);
        Assert.Equal("yes", events.Current.GetString("up"));

        await charon.DropConnectionsAsync();  // charon restarts
        await WaitUntilAsync(() => charon.Received.Count(p => Capture.TypeOf(p) == 3 && Capture.NameOf(p) == "ike-updown") == 2);
        Task<bool> second = events.MoveNextAsync().AsTask();
        await charon.PushAsync(Event("ike-updown", FakeCharon.KeyValue("up", "no")));
        Assert.True(await second);
        Assert.Equal("no", events.Current.GetString("up"));
        Assert.Equal(2, charon.Accepted);
    }

    [Fact]
    public async Task Ending_the_last_subscription_unregisters_the_event()
    {
        await using var charon = new FakeCharon(Cooperative);
        await using ViciClient client = await ConnectAsync(charon);
        using var stop = new CancellationTokenSource();
        Task reading = Task.Run(async () =>
        {
            await foreach (ViciMessage _ in client.SubscribeAsync("log", stop.Token))
            {
            }
        }, Ct);
        await WaitUntilAsync(() => charon.Received.Any(p => Capture.TypeOf(p) == 3));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        await WaitUntilAsync(() => charon.Received.Any(p => Capture.TypeOf(p) == 4 && Capture.NameOf(p) == "log"));
    }

    [Fact]
    public async Task An_unknown_event_is_a_command_error()
    {
        await using var charon = new FakeCharon(p => Capture.TypeOf(p) == 3 ? [FakeCharon.Packet(6)] : Cooperative(p));
        await using ViciClient client = await ConnectAsync(charon);
        ViciCommandException error = await Assert.ThrowsAsync<ViciCommandException>(async () =>
        {
            await foreach (ViciMessage _ in client.SubscribeAsync("no-such-event", Ct))
            {
            }
        });
        Assert.Contains("no-such-event", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_ends_subscriptions_and_fails_later_calls()
    {
        await using var charon = new FakeCharon(Cooperative);
        ViciClient client = await ConnectAsync(charon);
        Task<int> counting = Task.Run(async () =>
        {
            int n = 0;
            await foreach (ViciMessage _ in client.SubscribeAsync("log", Ct))
            {
                n++;
            }

            return n;
        }, Ct);
        await WaitUntilAsync(() => charon.Received.Any(p => Capture.TypeOf(p) == 3));
        await client.DisposeAsync();
        Assert.Equal(0, await counting.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CallAsync("version", cancellationToken: Ct));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20, Ct);
        }

        Assert.True(condition(), "condition not reached within 10 s");
    }
}
