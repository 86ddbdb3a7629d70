using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Overlay.Encap.Tests.Infrastructure;
using Overlay.Testing;

namespace Overlay.Encap.Tests.Privileged;

/// <summary>The kernel's own VXLAN device is the peer of our codec, in both directions.</summary>
[Trait("Category", Testing.Privileged.Category)]
public sealed class VxlanInteropTests
{
    private static readonly byte[] PeerMac = [0x02, 0x00, 0xc6, 0x13, 0x02, 0x02];

    [Fact]
    public async Task Kernel_vxlan_frames_decode_and_our_frames_reach_the_kernel_stack()
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var a = TestNamespace.Create(loopbackUp: true);
        using var b = TestNamespace.Create(loopbackUp: true);
        a.Ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name);
        a.Ip("addr", "add", "198.18.0.1/24", "dev", "va");
        a.Ip("link", "set", "va", "up");
        b.Ip("addr", "add", "198.18.0.2/24", "dev", "vb");
        b.Ip("link", "set", "vb", "up");

        // Kernel VXLAN in A, programmed as flannel does: VNI, local address, underlay device, port; a permanent
        // neighbour and an FDB entry for the peer, learning off.
        a.Ip("link", "add", "flannel.42", "type", "vxlan", "id", "42", "local", "198.18.0.1", "dev", "va", "dstport", "4789", "nolearning");
        a.Ip("addr", "add", "198.19.1.0/32", "dev", "flannel.42");
        a.Ip("link", "set", "flannel.42", "up");
        a.Ip("neigh", "replace", "198.19.2.0", "lladdr", "02:00:c6:13:02:02", "dev", "flannel.42", "nud", "permanent");
        Tools.Check("bridge", "-n", a.Name, "fdb", "replace", "02:00:c6:13:02:02", "dev", "flannel.42", "self", "dst", "198.18.0.2", "permanent");
        a.Ip("route", "replace", "198.19.2.0/24", "via", "198.19.2.0", "dev", "flannel.42", "onlink");
        using JsonDocument link = JsonDocument.Parse(a.Ip("-j", "link", "show", "dev", "flannel.42"));
        byte[] vtepMac = Convert.FromHexString(link.RootElement[0].GetProperty("address").GetString()!.Replace(":", "", StringComparison.Ordinal));

        using Socket underlay = b.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse("198.18.0.2"), 4789));
            return s;
        });
        using Socket overlayReceiver = a.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse("198.19.1.0"), 7000));
            return s;
        });
        using Socket overlaySender = a.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

        // Kernel → our decoder.
        byte[] message = Encoding.ASCII.GetBytes("hello from the kernel vxlan device");
        await overlaySender.SendToAsync(message, new IPEndPoint(IPAddress.Parse("198.19.2.5"), 9000), ct);
        byte[] buffer = new byte[2000];
        using var firstTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        firstTimeout.CancelAfter(TimeSpan.FromSeconds(20));
        SocketReceiveFromResult received = await underlay.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), firstTimeout.Token);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), ((IPEndPoint)received.RemoteEndPoint).Address);
        Assert.Equal(VxlanDecodeStatus.Success, VxlanEncapsulator.TryDecapsulateUdpPayload(buffer.AsSpan(0, received.ReceivedBytes), out VxlanHeader vxlan, out Span<byte> frame));
        Assert.Equal(42, vxlan.Vni);
        Assert.False(vxlan.HasGroupPolicy);
        var eth = new EthernetHeader(frame);
        Assert.Equal(PeerMac, eth.Destination.ToArray());
        Assert.Equal(vtepMac, eth.Source.ToArray());
        Assert.Equal(EtherTypes.IPv4, eth.EtherType);
        Span<byte> innerPacket = frame[EthernetHeader.Length..];
        Assert.Equal(IPv4Validation.Valid, IPv4Header.Validate(innerPacket));
        var inner = new IPv4Header(innerPacket);
        Assert.Equal(Packets.Ip("198.19.1.0"), inner.Source);
        Assert.Equal(Packets.Ip("198.19.2.5"), inner.Destination);
        Assert.Equal(IPProtocols.Udp, inner.Protocol);
        var innerUdp = new UdpHeader(inner.Payload);
        Assert.Equal(9000, innerUdp.DestinationPort);
        Assert.Equal(message, innerUdp.Payload.ToArray());

        // Our encoder → kernel: the UDP socket adds the outer IP/UDP headers itself, so the datagram payload is the
        // VXLAN header and inner frame of the packet the codec built (the next test sends whole outer packets).
        byte[] reply = Encoding.ASCII.GetBytes("hello from Overlay.Encap");
        byte[] innerIp = Packets.Udp("198.19.2.5", "198.19.1.0", 9000, 7000, reply);
        byte[] innerFrame = Packets.Ethernet(vtepMac, PeerMac, EtherTypes.IPv4, innerIp);
        var encapsulator = new VxlanEncapsulator(new VxlanEncapsulatorOptions
        {
            Source = IPAddress.Parse("198.18.0.2"),
            Destination = IPAddress.Parse("198.18.0.1"),
            Vni = 42,
            SourcePort = 4789,
            DestinationPort = 4789,
        });
        byte[] outer = new byte[VxlanEncapsulator.HeaderLength + innerFrame.Length];
        encapsulator.Encapsulate(innerFrame, outer);
        Assert.Equal(VxlanDecodeStatus.Success, VxlanEncapsulator.TryDecapsulate(outer, out _));
        await underlay.SendToAsync(outer.AsMemory(IPv4Header.MinimumLength + UdpHeader.Length), new IPEndPoint(IPAddress.Parse("198.18.0.1"), 4789), ct);

        byte[] got = new byte[2000];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        SocketReceiveFromResult delivered = await overlayReceiver.ReceiveFromAsync(got, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        Assert.Equal(reply, got[..delivered.ReceivedBytes]);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.19.2.5"), 9000), delivered.RemoteEndPoint);
    }

    [Fact]
    public async Task Raw_outer_packet_built_by_the_codec_is_accepted_by_kernel_vxlan()
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var a = TestNamespace.Create(loopbackUp: true);
        using var b = TestNamespace.Create(loopbackUp: true);
        a.Ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name);
        a.Ip("addr", "add", "198.18.0.1/24", "dev", "va");
        a.Ip("link", "set", "va", "up");
        b.Ip("addr", "add", "198.18.0.2/24", "dev", "vb");
        b.Ip("link", "set", "vb", "up");
        a.Ip("link", "add", "flannel.7", "type", "vxlan", "id", "7", "local", "198.18.0.1", "dev", "va", "dstport", "8472", "nolearning");
        a.Ip("addr", "add", "198.19.1.0/32", "dev", "flannel.7");
        a.Ip("link", "set", "flannel.7", "up");
        using JsonDocument link = JsonDocument.Parse(a.Ip("-j", "link", "show", "dev", "flannel.7"));
        byte[] vtepMac = Convert.FromHexString(link.RootElement[0].GetProperty("address").GetString()!.Replace(":", "", StringComparison.Ordinal));
        a.Ip("route", "add", "198.19.2.0/24", "dev", "flannel.7");

        using Socket overlayReceiver = a.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse("198.19.1.0"), 7001));
            return s;
        });

        // A raw IP socket in B sends the whole outer packet we built (IP_HDRINCL), outer checksum and all.
        using Socket raw = b.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp));
        raw.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);
        byte[] payload = Encoding.ASCII.GetBytes("outer header by Overlay.Encap");
        byte[] innerFrame = Packets.Ethernet(vtepMac, PeerMac, EtherTypes.IPv4, Packets.Udp("198.19.2.9", "198.19.1.0", 9001, 7001, payload));
        var encapsulator = new VxlanEncapsulator(new VxlanEncapsulatorOptions
        {
            Source = IPAddress.Parse("198.18.0.2"),
            Destination = IPAddress.Parse("198.18.0.1"),
            Vni = 7,
            DestinationPort = VxlanHeader.LinuxDefaultPort,
            UdpChecksum = true,
        });
        byte[] outer = new byte[VxlanEncapsulator.HeaderLength + innerFrame.Length];
        encapsulator.Encapsulate(innerFrame, outer);
        await raw.SendToAsync(outer, new IPEndPoint(IPAddress.Parse("198.18.0.1"), 0), ct);

        byte[] got = new byte[2000];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        SocketReceiveFromResult delivered = await overlayReceiver.ReceiveFromAsync(got, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        Assert.Equal(payload, got[..delivered.ReceivedBytes]);
    }
}
