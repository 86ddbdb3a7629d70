using Overlay.Vici.Tests.Support;

namespace Overlay.Vici.Tests;

/// <summary>
/// The client against swanctl's own conversations with a live charon (strongSwan 5.9.8; TestData/Captures): asked
/// the same thing, it sends byte for byte what swanctl sent, and it reads charon's recorded answers.
/// </summary>
public sealed class GoldenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(FakeCharon Charon, ViciClient Client)> ReplayAsync(Capture capture)
    {
        // swanctl exits without unregistering; our client unregisters, which charon confirms.
        var charon = new FakeCharon(p => capture.Replay(p).ToList() is { Count: > 0 } answers ? answers
            : Capture.TypeOf(p) == 4 ? [FakeCharon.Packet(5)] : []);
        ViciClient client = await ViciClient.ConnectAsync(new ViciClientOptions { SocketPath = charon.SocketPath, CommandTimeout = TimeSpan.FromSeconds(10) }, cancellationToken: Ct);
        return (charon, client);
    }

    [Fact]
    public async Task Version_sends_swanctls_bytes_and_reads_charons_answer()
    {
        Capture capture = Capture.Load("version");
        var (charon, client) = await ReplayAsync(capture);
        await using (charon)
        await using (client)
        {
            ViciMessage answer = await client.CallAsync("version", cancellationToken: Ct);
            Assert.Equal("charon", answer.GetString("daemon"));
            Assert.Equal("5.9.8", answer.GetString("version"));
            Assert.Equal("Linux", answer.GetString("sysname"));
            Assert.Equal(capture.ClientPackets, charon.Received.ToArray());
        }
    }

    [Fact]
    public async Task Load_shared_and_load_conn_built_as_swanctl_builds_them_are_byte_identical()
    {
        Capture capture = Capture.Load("load-all");
        var (charon, client) = await ReplayAsync(capture);
        await using (charon)
        await using (client)
        {
            var shared = new ViciMessage()
                .Add("id", "ike-test")
                .Add("type", "ike")
                .Add("data", "a-test-secret-that-is-not-used-anywhere")
                .AddList("owners", "198.18.0.1", "198.18.0.2");
            ViciMessage sharedAnswer = await client.CallCheckedAsync("load-shared", shared, Ct);
            Assert.Equal("yes", sharedAnswer.GetString("success"));

            var conn = new ViciMessage().AddSection("ovl-test", c => c
                .Add("version", "2")
                .AddList("local_addrs", "198.18.0.1")
                .AddList("remote_addrs", "198.18.0.2")
                .AddList("proposals", "aes128-sha256-modp2048")
                .AddSection("local", l => l.Add("auth", "psk").Add("id", "198.18.0.1"))
                .AddSection("remote", r => r.Add("auth", "psk").Add("id", "198.18.0.2"))
                .AddSection("children", ch => ch.AddSection("ovl-child", child => child
                    .AddList("local_ts", "198.19.1.0/24")
                    .AddList("remote_ts", "198.19.2.0/24")
                    .AddList("esp_proposals", "aes128-sha256")
                    .Add("mode", "tunnel")
                    .Add("policies", "no"))));
            await client.CallCheckedAsync("load-conn", conn, Ct);

            byte[][] received = [.. charon.Received];
            Assert.Equal(capture.ClientCommand("load-shared"), received[0]);
            Assert.Equal(capture.ClientCommand("load-conn"), received[1]);
        }
    }

    [Fact]
    public async Task List_conns_collects_the_streamed_events_with_swanctls_register_command_unregister_sequence()
    {
        Capture capture = Capture.Load("list-conns");
        var (charon, client) = await ReplayAsync(capture);
        await using (charon)
        await using (client)
        {
            IReadOnlyList<ViciMessage> conns = await client.CallCollectingAsync("list-conns", "list-conn", cancellationToken: Ct);
            AssertSentAsSwanctlThenUnregistered(capture, charon, "list-conn");
            ViciMessage conn = Assert.Single(conns).GetSection("ovl-test")!;
            Assert.Equal(["198.18.0.1"], conn.GetList("local_addrs"));
            Assert.Equal("IKEv2", conn.GetString("version"));
            ViciMessage child = conn.GetSection("children")!.GetSection("ovl-child")!;
            Assert.Equal(["198.19.2.0/24"], child.GetList("remote-ts"));   // charon lists them with a hyphen
        }
    }

    [Fact]
    public async Task List_sas_with_no_sa_collects_nothing()
    {
        Capture capture = Capture.Load("list-sas");
        var (charon, client) = await ReplayAsync(capture);
        await using (charon)
        await using (client)
        {
            Assert.Empty(await client.CallCollectingAsync("list-sas", "list-sa", cancellationToken: Ct));
            AssertSentAsSwanctlThenUnregistered(capture, charon, "list-sa");
        }
    }

    [Fact]
    public async Task A_refused_command_raises_charons_errmsg_and_still_unregisters()
    {
        Capture capture = Capture.Load("terminate");
        var (charon, client) = await ReplayAsync(capture);
        await using (charon)
        await using (client)
        {
            var request = new ViciMessage().Add("ike", "ovl-test").Add("timeout", "2000").Add("loglevel", "1");
            ViciCommandException refused = await Assert.ThrowsAsync<ViciCommandException>(
                () => client.CallCollectingAsync("terminate", "control-log", request, Ct));
            Assert.Equal("terminate", refused.Command);
            Assert.Equal("no matching SAs to terminate found", refused.ErrorMessage);
            Assert.False(refused.IsTransient);
            AssertSentAsSwanctlThenUnregistered(capture, charon, "control-log");
        }
    }

    private static void AssertSentAsSwanctlThenUnregistered(Capture capture, FakeCharon charon, string eventName)
    {
        byte[][] received = [.. charon.Received];
        Assert.Equal(capture.ClientPackets, received.Take(capture.ClientPackets.Count));
        byte[] unregister = Assert.Single(received.Skip(capture.ClientPackets.Count));
        Assert.Equal(FakeCharon.Packet(4, eventName), unregister);
    }
}
