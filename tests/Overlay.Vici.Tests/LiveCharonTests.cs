using Overlay.Vici.Tests.Support;

namespace Overlay.Vici.Tests;

/// <summary>The client against a real charon (strongSwan 5.9.8) in a namespace of its own.</summary>
[Trait("Category", "Privileged")]
public sealed class LiveCharonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ViciMessage FlannelStyleConnection(string name, string peer) => new ViciMessage().AddSection(name, c => c
        .AddList("local_addrs", "198.18.0.1")
        .AddList("remote_addrs", peer)
        .AddList("proposals", "aes128-sha256-modp2048")
        .Add("version", "2")
        .AddSection("local", l => l.Add("auth", "psk").Add("id", "198.18.0.1"))
        .AddSection("remote", r => r.Add("auth", "psk").Add("id", peer))
        .AddSection("children", ch => ch.AddSection("ovl-child", child => child
            .AddList("local_ts", "198.19.1.0/24")
            .AddList("remote_ts", "198.19.2.0/24")
            .AddList("esp_proposals", "aes128-sha256")
            .Add("mode", "tunnel")
            .Add("policies", "no"))));

    [Fact]
    public async Task Loads_lists_and_unloads_a_connection_and_a_shared_key()
    {
        LiveCharon.Require();
        await using LiveCharon charon = await LiveCharon.CreateAsync(Ct);
        await using ViciClient client = await ViciClient.ConnectAsync(new ViciClientOptions { SocketPath = charon.SocketPath }, cancellationToken: Ct);

        Assert.Equal("charon", (await client.CallAsync("version", cancellationToken: Ct)).GetString("daemon"));
        await client.CallCheckedAsync("load-shared", new ViciMessage()
            .Add("id", "ovl-key").Add("type", "IKE").Add("data", "a-live-test-secret-0123456789")
            .AddList("owners", "198.18.0.1", "198.18.0.2"), Ct);
        await client.CallCheckedAsync("load-conn", FlannelStyleConnection("ovl-peer", "198.18.0.2"), Ct);

        IReadOnlyList<ViciMessage> conns = await client.CallCollectingAsync("list-conns", "list-conn", cancellationToken: Ct);
        ViciMessage conn = Assert.Single(conns).GetSection("ovl-peer")!;
        Assert.Equal(["198.18.0.2"], conn.GetList("remote_addrs"));
        Assert.Equal(["198.19.2.0/24"], conn.GetSection("children")!.GetSection("ovl-child")!.GetList("remote-ts"));
        Assert.Contains("ovl-key", (await client.CallAsync("get-shared", cancellationToken: Ct)).GetList("keys")!);

        await client.CallCheckedAsync("unload-conn", new ViciMessage().Add("name", "ovl-peer"), Ct);
        ViciCommandException again = await Assert.ThrowsAsync<ViciCommandException>(
            () => client.CallCheckedAsync("unload-conn", new ViciMessage().Add("name", "ovl-peer"), Ct));
        Assert.Contains("ovl-peer", again.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await client.CallCollectingAsync("list-conns", "list-conn", cancellationToken: Ct));
        await client.CallCheckedAsync("unload-shared", new ViciMessage().Add("id", "ovl-key"), Ct);
    }

    [Fact]
    public async Task A_refused_connection_carries_charons_reason()
    {
        LiveCharon.Require();
        await using LiveCharon charon = await LiveCharon.CreateAsync(Ct);
        await using ViciClient client = await ViciClient.ConnectAsync(new ViciClientOptions { SocketPath = charon.SocketPath }, cancellationToken: Ct);
        ViciMessage bad = new ViciMessage().AddSection("ovl-bad", c => c.AddList("proposals", "no-such-algorithm"));
        ViciCommandException refused = await Assert.ThrowsAsync<ViciCommandException>(() => client.CallCheckedAsync("load-conn", bad, Ct));
        Assert.False(string.IsNullOrEmpty(refused.ErrorMessage));
        Assert.Equal("load-conn", refused.Command);
    }

    [Fact]
    public async Task Initiating_streams_charons_log_and_a_log_subscription_sees_it_too()
    {
        LiveCharon.Require();
        await using LiveCharon charon = await LiveCharon.CreateAsync(Ct);
        await using ViciClient client = await ViciClient.ConnectAsync(new ViciClientOptions { SocketPath = charon.SocketPath }, cancellationToken: Ct);
        await client.CallCheckedAsync("load-conn", FlannelStyleConnection("ovl-peer", "198.18.0.2"), Ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var seen = new List<ViciMessage>();
        Task logging = Task.Run(async () =>
        {
            await foreach (ViciMessage log in client.SubscribeAsync("log", stop.Token))
            {
                lock (seen)
                {
                    seen.Add(log);
                }
            }
        }, Ct);
        for (int i = 0; i < 100 && !client.IsConnected; i++)
        {
            await Task.Delay(10, Ct);
        }

        await Task.Delay(200, Ct); // the subscription registers on the one connection before the command goes out
        // The namespace has no route to the peer: charon logs why and the initiate fails, with the reason in its log.
        var request = new ViciMessage().Add("child", "ovl-child").Add("timeout", "3000").Add("loglevel", "1");
        ViciCommandException failed = await Assert.ThrowsAsync<ViciCommandException>(() => client.CallCollectingAsync("initiate", "control-log", request, Ct));
        Assert.Equal("initiate", failed.Command);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => logging);
        lock (seen)
        {
            Assert.NotEmpty(seen);
            Assert.All(seen, l => Assert.NotNull(l.GetString("msg")));
        }
    }

    [Fact]
    public async Task After_charon_restarts_the_next_call_reconnects_and_a_subscription_goes_on()
    {
        LiveCharon.Require();
        await using LiveCharon charon = await LiveCharon.CreateAsync(Ct);
        await using ViciClient client = await ViciClient.ConnectAsync(new ViciClientOptions
        {
            SocketPath = charon.SocketPath,
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        }, cancellationToken: Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        IAsyncEnumerator<ViciMessage> updown = client.SubscribeAsync("ike-updown", stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool> pending = updown.MoveNextAsync().AsTask(); // registers

        await charon.KillAsync();
        ViciException down = await Assert.ThrowsAsync<ViciException>(() => client.CallAsync("version", cancellationToken: Ct));
        Assert.True(down.IsTransient);

        await charon.StartAsync(Ct);
        Assert.Equal("charon", (await client.CallAsync("version", cancellationToken: Ct)).GetString("daemon"));
        for (int i = 0; i < 200 && !client.IsConnected; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(client.IsConnected);
        Assert.False(pending.IsCompleted); // no event yet, and the enumeration did not end with the old connection
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await updown.DisposeAsync();
    }
}
