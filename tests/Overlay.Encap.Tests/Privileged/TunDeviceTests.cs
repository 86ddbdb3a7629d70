using System.Buffers.Binary;
using System.Text.Json;
using Overlay.Encap.Tests.Infrastructure;
using Overlay.Testing;

namespace Overlay.Encap.Tests.Privileged;

[Trait("Category", Testing.Privileged.Category)]
public sealed class TunDeviceTests
{
    private static JsonElement LinkDetails(TestNamespace ns, string name)
    {
        using JsonDocument doc = JsonDocument.Parse(ns.Ip("-j", "-d", "link", "show", "dev", name));
        return doc.RootElement[0].GetProperty("linkinfo").GetProperty("info_data").Clone();
    }

    [Fact]
    public void Creates_a_tun_device_in_the_calling_threads_namespace()
    {
        Testing.Privileged.Require();
        using var ns = TestNamespace.Create(loopbackUp: true);
        using TunDevice tun = ns.Run(() => TunDevice.Create(new TunDeviceOptions { Name = "ovltun0", VirtioNetHeader = true, MultiQueue = true, Offloads = TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4 }));

        Assert.Equal("ovltun0", tun.Name);
        Assert.Equal(TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4, tun.Offloads);
        JsonElement info = LinkDetails(ns, "ovltun0");
        Assert.Equal("tun", info.GetProperty("type").GetString());
        Assert.False(info.GetProperty("pi").GetBoolean());
        Assert.True(info.GetProperty("vnet_hdr").GetBoolean());
        Assert.True(info.GetProperty("multi_queue").GetBoolean());

        // The host namespace does not see it.
        Assert.NotEqual(0, Tools.Run("ip", "link", "show", "dev", "ovltun0").ExitCode);

        using TunDevice second = tun.AttachQueue();
        Assert.Equal("ovltun0", second.Name);
    }

    [Fact]
    public void Device_disappears_when_its_last_queue_is_closed()
    {
        Testing.Privileged.Require();
        using var ns = TestNamespace.Create(loopbackUp: true);
        TunDevice tun = ns.Run(() => TunDevice.Create(new TunDeviceOptions { Name = "ovltun1" }));
        Assert.Equal(0, ns.Exec("ip", "link", "show", "dev", "ovltun1").ExitCode);
        tun.Dispose();
        Assert.NotEqual(0, ns.Exec("ip", "link", "show", "dev", "ovltun1").ExitCode);
    }

    [Fact]
    public async Task Answers_a_ping_read_from_the_device()
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var ns = TestNamespace.Create(loopbackUp: true);
        using TunDevice tun = ns.Run(() => TunDevice.Create(new TunDeviceOptions { Name = "ovltun2" }));
        ns.Ip("addr", "add", "198.19.1.1/24", "dev", "ovltun2");
        ns.Ip("link", "set", "ovltun2", "up");

        Task<(int ExitCode, string Output, string Error)> ping = Task.Run(() => ns.Exec("ping", "-c", "1", "-W", "10", "198.19.1.2"), ct);
        byte[] buffer = new byte[2000];
        byte[] request;
        while (true)
        {
            int n = await tun.ReadAsync(buffer, ct);
            var ip = new IPv4Header(buffer.AsSpan(0, n));
            if (ip.Version == 4 && ip.Protocol == IPProtocols.Icmp && buffer[ip.HeaderLength] == 8)
            {
                request = buffer[..n];
                break;
            }
        }

        var req = new IPv4Header(request);
        Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(request));
        Assert.Equal(Packets.Ip("198.19.1.1"), req.Source);
        Assert.Equal(Packets.Ip("198.19.1.2"), req.Destination);

        // Echo reply: swap addresses, type 0, fresh checksums.
        byte[] reply = (byte[])request.Clone();
        var rep = new IPv4Header(reply);
        rep.Source = req.Destination;
        rep.Destination = req.Source;
        rep.UpdateHeaderChecksum();
        Span<byte> icmp = reply.AsSpan(rep.HeaderLength);
        icmp[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        await tun.WriteAsync(reply, ct);

        (int exit, string output, _) = await ping;
        Assert.True(exit == 0, output);
        Assert.Contains("1 received", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_read_is_cancelled_and_disposal_fails_reads()
    {
        Testing.Privileged.Require();
        using var ns = TestNamespace.Create(loopbackUp: true);
        TunDevice tun = ns.Run(() => TunDevice.Create(new TunDeviceOptions { Name = "ovltun3" }));
        using var cts = new CancellationTokenSource();
        ValueTask<int> read = tun.ReadAsync(new byte[2000], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);

        using var blockingCts = new CancellationTokenSource();
        var blocking = Task.Factory.StartNew(() => tun.Read(new byte[2000], blockingCts.Token), TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await blockingCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocking);

        tun.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await tun.ReadAsync(new byte[10], TestContext.Current.CancellationToken));
    }
    [Fact]
    public async Task Queue_read_by_its_own_thread_never_wakes_the_shared_poller()
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var ns = TestNamespace.Create(loopbackUp: true);
        Assert.Equal(0, ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1").ExitCode); // no MLD/RS packets in the queue
        using TunDevice tun = ns.Run(() => TunDevice.Create(new TunDeviceOptions { Name = "ovltun4" }));
        ns.Ip("addr", "add", "198.19.4.1/24", "dev", "ovltun4");
        ns.Ip("link", "set", "ovltun4", "up");

        // Packets queue up on a queue nobody awaits (the engine's case: its threads wait in poll): the poller is never told.
        (int exit, string output, _) = ns.Exec("ping", "-c", "5", "-i", "0.01", "-W", "1", "198.19.4.2");
        Assert.NotEqual(0, exit);
        Assert.Contains("5 packets transmitted", output, StringComparison.Ordinal);
        Assert.Equal(0, tun.Readiness.Signals);

        // Armed while a packet is already queued (level-triggered): the wait completes at once, no wake-up is lost.
        await tun.Readiness.WaitAsync(write: false, ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(1, tun.Readiness.Signals);

        // Drain, then an awaited read gets the next packet through one more event.
        byte[] buffer = new byte[2000];
        while (tun.TryRead(buffer, out _))
        {
        }

        ValueTask<int> read = tun.ReadAsync(buffer, ct);
        Task<(int ExitCode, string Output, string Error)> ping = Task.Run(() => ns.Exec("ping", "-c", "1", "-W", "1", "198.19.4.3"), ct);
        int n = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(buffer.AsSpan(0, n)));
        await ping;
        Assert.Equal(2, tun.Readiness.Signals);

        // A write never has to wait on an idle queue, so the poller stays out of it as well.
        while (tun.TryRead(buffer, out _))
        {
        }

        await tun.WriteAsync(buffer.AsMemory(0, n), ct);
        Assert.Equal(2, tun.Readiness.Signals);
    }
}
