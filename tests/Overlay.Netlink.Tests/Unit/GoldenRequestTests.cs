using System.Net;
using Overlay.Netlink.Internal;
using Overlay.Netlink.Tests.Support;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>
/// Our requests against iproute2's, captured with strace (TestData/Captures, command in each file).
/// Interface indexes are those of the capture namespace: lo=1, ul1=2, ul0=3, vx0=4.
/// </summary>
public sealed class GoldenRequestTests
{
    private const int Ul0 = 3;
    private const int Vx0 = 4;
    private const string LinkInfo = "18";
    private const string InfoData = "18/2";

    private delegate void Builder(ref NetlinkMessageWriter writer);

    private static byte[] Build(Builder build)
    {
        byte[] buffer = new byte[4096];
        var writer = new NetlinkMessageWriter(buffer);
        build(ref writer);
        return buffer[..writer.Finish()];
    }

    private static void Check(string capture, ushort type, int fixedHeader, byte[] ours, string[] nested, params string[] ignored)
    {
        StraceCapture c = StraceCapture.Load(capture);
        Assert.StartsWith(capture.StartsWith("fdb", StringComparison.Ordinal) ? "bridge " : "ip ", c.Command, StringComparison.Ordinal);
        MessageComparer.AssertEquivalent(
            MessageComparer.Flatten(c.LastMessageOfType(type), fixedHeader, nested),
            MessageComparer.Flatten(ours, fixedHeader, nested),
            ignored);
    }

    [Fact]
    public void Vxlan_link_add_matches_ip_link_add_type_vxlan()
    {
        var spec = new VxlanLinkSpec
        {
            Name = "vx0",
            Mtu = 1450,
            MacAddress = MacAddress.Parse("02:42:c6:13:01:00"),
            Vni = 42,
            Local = IPAddress.Parse("198.18.0.1"),
            UnderlayIndex = Ul0,
            Port = 8472,
            Ttl = 64,
            Tos = 0,
            Learning = false,
            Proxy = true,
            Rsc = true,
            L2Miss = true,
            L3Miss = true,
            Gbp = true,
            UdpChecksum = true,
            UdpZeroChecksum6Tx = true,
            UdpZeroChecksum6Rx = true,
        };
        Check("link-add-vxlan", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkAdd(ref w, spec, 1)), [LinkInfo, InfoData]);
    }

    [Fact]
    public void Vxlan_ipv6_link_add_matches_capture()
    {
        var spec = new VxlanLinkSpec { Name = "vx6", Vni = 4096, Local = IPAddress.Parse("2001:db8:18::1"), UnderlayIndex = Ul0, Port = 4789, Learning = true };
        Check("link-add-vxlan6", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkAdd(ref w, spec, 1)), [LinkInfo, InfoData]);
    }

    [Fact]
    public void Ipip_link_add_matches_capture_taken_although_the_kernel_lacks_ipip()
    {
        var spec = new IPIPLinkSpec { Name = "ipip0", Local = IPAddress.Parse("198.18.0.1"), Remote = IPAddress.Parse("198.18.0.2"), Ttl = 64, Tos = 0, PathMtuDiscovery = true, UnderlayIndex = Ul0 };
        // iproute2 also sends zero-valued proto, fwmark and the four encap attributes.
        Check("link-add-ipip", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkAdd(ref w, spec, 1)), [LinkInfo, InfoData],
            "18/2/9", "18/2/20", "18/2/15", "18/2/16", "18/2/17", "18/2/18");
    }

    [Fact]
    public void Veth_link_add_nests_the_peer_after_an_ifinfomsg()
    {
        var spec = new VethLinkSpec { Name = "va", PeerName = "vb" };
        Check("link-add-veth", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkAdd(ref w, spec, 1)), [LinkInfo, InfoData, "18/2/1+16"]);
    }

    [Fact]
    public void Bridge_link_add_matches_capture()
    {
        var spec = new BridgeLinkSpec { Name = "br0", Mtu = 1400 };
        Check("link-add-bridge", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkAdd(ref w, spec, 1)), [LinkInfo, InfoData]);
    }

    [Fact]
    public void Link_modification_matches_ip_link_set()
    {
        var change = new LinkModification { Up = false, Mtu = 1400, MacAddress = MacAddress.Parse("02:00:00:00:00:01"), Name = "ul9" };
        Check("link-set", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkModify(ref w, Ul0, change, 1)), []);
    }

    [Fact]
    public void Link_delete_matches_capture() =>
        Check("link-del", RtmType.DelLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkDelete(ref w, Ul0, 1)), []);

    [Fact]
    public void Address_add_ipv4_with_scope_matches_capture()
    {
        var a = new LinkAddress { InterfaceIndex = Ul0, Address = IPAddress.Parse("198.18.1.1"), PrefixLength = 24, Scope = RouteScope.Link };
        Check("addr-add-v4", RtmType.NewAddress, 8, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteAddress(ref w, RtmType.NewAddress, RtnetlinkCodec.FlagsFor(NetlinkBulkOperation.Add), a, 1)), []);
    }

    [Fact]
    public void Address_add_ipv6_nodad_matches_capture()
    {
        var a = new LinkAddress { InterfaceIndex = Ul0, Address = IPAddress.Parse("2001:db8:18::5"), PrefixLength = 64, Flags = AddressFlags.NoDad };
        Check("addr-add-v6", RtmType.NewAddress, 8, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteAddress(ref w, RtmType.NewAddress, RtnetlinkCodec.FlagsFor(NetlinkBulkOperation.Add), a, 1)), []);
    }

    [Fact]
    public void Address_replace_and_delete_match_captures()
    {
        var a = new LinkAddress { InterfaceIndex = Ul0, Address = IPAddress.Parse("198.18.0.1"), PrefixLength = 24 };
        Check("addr-replace-v4", RtmType.NewAddress, 8, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteAddress(ref w, RtmType.NewAddress, RtnetlinkCodec.FlagsFor(NetlinkBulkOperation.Replace), a, 1)), []);
        Check("addr-del-v4", RtmType.DelAddress, 8, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteAddress(ref w, RtmType.DelAddress, RtnetlinkCodec.FlagsFor(NetlinkBulkOperation.Delete), a, 1)), []);
    }

    [Fact]
    public void Onlink_route_with_metric_and_mtu_matches_capture()
    {
        var r = new Route
        {
            Destination = IPNetwork.Parse("198.19.3.0/24"),
            Gateway = IPAddress.Parse("198.19.3.0"),
            OutputInterface = Vx0,
            Flags = RouteFlags.OnLink,
            Protocol = 77,
            Priority = 10,
            Mtu = 1400,
        };
        Check("route-add-onlink", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Add, r, 1)), ["8"]);
    }

    [Fact]
    public void Route_replace_in_table_100_matches_capture()
    {
        var r = new Route { Destination = IPNetwork.Parse("198.19.4.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), Protocol = 77, Table = 100 };
        Check("route-replace-gw", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Replace, r, 1)), []);
    }

    [Fact]
    public void Route_append_matches_capture()
    {
        var r = new Route { Destination = IPNetwork.Parse("198.19.5.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), OutputInterface = Ul0, Protocol = 77 };
        Check("route-append", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Append, r, 1)), []);
    }

    [Fact]
    public void Blackhole_route_matches_capture()
    {
        var r = new Route { Destination = IPNetwork.Parse("198.19.0.0/16"), Type = RouteType.Blackhole, Protocol = 77 };
        Check("route-add-blackhole", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Add, r, 1)), []);
    }

    [Fact]
    public void Ipv6_route_matches_capture()
    {
        var r = new Route { Destination = IPNetwork.Parse("2001:db8:19::/48"), Gateway = IPAddress.Parse("2001:db8:18::2"), OutputInterface = Ul0, Protocol = 77 };
        Check("route-add-v6", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Add, r, 1)), []);
    }

    [Fact]
    public void Route_delete_leaves_protocol_scope_and_type_unspecified_like_iproute2()
    {
        var r = new Route { Destination = IPNetwork.Parse("198.19.4.0/24"), Gateway = IPAddress.Parse("198.18.0.2"), OutputInterface = Ul0 };
        Check("route-del", RtmType.DelRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Delete, r, 1)), []);
    }

    [Fact]
    public void Route_get_matches_capture_apart_from_our_ack_flag()
    {
        byte[] ours = Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteRouteGet(ref w, IPAddress.Parse("198.18.0.7"), 1));
        // We always ask for an acknowledgement so every request ends the same way; iproute2 does not.
        ours[6] &= unchecked((byte)~(byte)NetlinkMessageFlags.Acknowledge);
        Check("route-get", RtmType.GetRoute, 12, ours, []);
    }

    [Fact]
    public void Neighbor_replace_with_protocol_matches_capture()
    {
        var n = new Neighbor { InterfaceIndex = Vx0, Address = IPAddress.Parse("198.19.3.0"), LinkLayerAddress = MacAddress.Parse("02:42:c6:13:03:00"), Protocol = 77 };
        Check("neigh-replace", RtmType.NewNeighbor, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteNeighbor(ref w, NetlinkBulkOperation.Replace, n, 1)), []);
    }

    [Fact]
    public void Ipv6_neighbor_add_matches_capture()
    {
        var n = new Neighbor { InterfaceIndex = Vx0, Address = IPAddress.Parse("2001:db8:19:3::"), LinkLayerAddress = MacAddress.Parse("02:42:c6:13:03:00") };
        Check("neigh-add-v6", RtmType.NewNeighbor, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteNeighbor(ref w, NetlinkBulkOperation.Add, n, 1)), []);
    }

    [Fact]
    public void Neighbor_delete_matches_capture()
    {
        var n = new Neighbor { InterfaceIndex = Vx0, Address = IPAddress.Parse("198.19.3.0") };
        Check("neigh-del", RtmType.DelNeighbor, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteNeighbor(ref w, NetlinkBulkOperation.Delete, n, 1)), []);
    }

    [Theory]
    [InlineData("fdb-append", NetlinkBulkOperation.Append)]
    [InlineData("fdb-replace", NetlinkBulkOperation.Replace)]
    [InlineData("fdb-del", NetlinkBulkOperation.Delete)]
    public void Fdb_requests_match_bridge_fdb(string capture, NetlinkBulkOperation operation)
    {
        // bridge(8) sends NUD_NOARP|NUD_PERMANENT for "permanent" (and for del); we pass the same state.
        var e = new FdbEntry { InterfaceIndex = Vx0, MacAddress = MacAddress.Parse("02:42:c6:13:03:00"), Destination = IPAddress.Parse("198.18.0.3"), State = NeighborState.Permanent | NeighborState.NoArp };
        ushort type = operation == NetlinkBulkOperation.Delete ? RtmType.DelNeighbor : RtmType.NewNeighbor;
        Check(capture, type, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteFdb(ref w, operation, e, 1)), []);
    }

    [Fact]
    public void Xfrm_policy_add_matches_ip_xfrm_policy_add()
    {
        var policy = new XfrmPolicy
        {
            Selector = new XfrmSelector { Source = IPNetwork.Parse("198.19.1.0/24"), Destination = IPNetwork.Parse("198.19.2.0/24") },
            Direction = XfrmPolicyDirection.Out,
            Priority = 100,
            Mark = new XfrmMark(5, 0xff),
            Templates = [new XfrmTemplate { Source = IPAddress.Parse("198.18.0.1"), Destination = IPAddress.Parse("198.18.0.2"), RequestId = 11 }],
        };
        Check("xfrm-policy-add", XfrmMessageType.NewPolicy, XfrmUserPolicyInfo.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WritePolicy(ref w, XfrmMessageType.NewPolicy, policy, 1)), []);
    }

    [Fact]
    public void Xfrm_policy_delete_matches_capture()
    {
        var selector = new XfrmSelector { Source = IPNetwork.Parse("198.19.1.0/24"), Destination = IPNetwork.Parse("198.19.2.0/24") };
        Check("xfrm-policy-del", XfrmMessageType.DeletePolicy, XfrmUserPolicyId.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WritePolicyId(ref w, XfrmMessageType.DeletePolicy, selector, XfrmPolicyDirection.In, null, 1)), []);
    }

    [Fact]
    public void Xfrm_state_add_matches_capture_taken_although_the_kernel_has_no_esp()
    {
        byte[] key = Convert.FromHexString("0102030405060708090a0b0c0d0e0f1011121314");
        var state = new XfrmState
        {
            Source = IPAddress.Parse("198.18.0.1"),
            Destination = IPAddress.Parse("198.18.0.2"),
            Spi = 0x100,
            RequestId = 11,
            Aead = new XfrmAlgorithm("rfc4106(gcm(aes))", key, 128),
        };
        Check("xfrm-state-add", XfrmMessageType.NewState, XfrmUserSaInfo.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteState(ref w, XfrmMessageType.NewState, state, 1)), []);
    }

    [Fact]
    public void Xfrm_state_delete_matches_capture()
    {
        var id = new XfrmStateId(IPAddress.Parse("198.18.0.2"), 0x100, XfrmProtocol.Esp, IPAddress.Parse("198.18.0.1"));
        Check("xfrm-state-del", XfrmMessageType.DeleteState, XfrmUserSaId.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteStateId(ref w, XfrmMessageType.DeleteState, id, 1)), []);
    }

    [Fact]
    public void Captured_policy_decodes_to_what_ip_xfrm_was_told()
    {
        StraceCapture c = StraceCapture.Load("xfrm-policy-add");
        var reader = new NetlinkMessageReader(c.LastMessageOfType(XfrmMessageType.NewPolicy));
        Assert.True(reader.TryRead(out NetlinkMessage m));
        XfrmPolicy p = XfrmCodec.DecodePolicy(m);
        Assert.Contains("src 198.19.1.0/24 dst 198.19.2.0/24 dir out priority 100 mark 0x5 mask 0xff", c.Command, StringComparison.Ordinal);
        Assert.Equal(IPNetwork.Parse("198.19.1.0/24"), p.Selector.Source);
        Assert.Equal(IPNetwork.Parse("198.19.2.0/24"), p.Selector.Destination);
        Assert.Equal(XfrmPolicyDirection.Out, p.Direction);
        Assert.Equal(100u, p.Priority);
        Assert.Equal(new XfrmMark(5, 0xff), p.Mark);
        XfrmTemplate t = Assert.Single(p.Templates);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), t.Source);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), t.Destination);
        Assert.Equal(11u, t.RequestId);
        Assert.Equal(XfrmMode.Tunnel, t.Mode);
        Assert.Equal(XfrmProtocol.Esp, t.Protocol);
    }

    private static byte[] WithoutAck(byte[] message)
    {
        // We always ask for an acknowledgement so every request ends the same way; iproute2's gets do not.
        message[6] &= unchecked((byte)~(byte)NetlinkMessageFlags.Acknowledge);
        return message;
    }

    [Fact]
    public void Link_get_by_name_and_by_index_match_capture()
    {
        StraceCapture c = StraceCapture.Load("link-get");
        byte[] byName = WithoutAck(Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkGet(ref w, 0, "ul0", 1)));
        MessageComparer.AssertEquivalent(MessageComparer.Flatten(c.Buffers[0], 16), MessageComparer.Flatten(byName, 16));
        // ip then looks up the veth peer ul1 (index 2) by index.
        byte[] byIndex = WithoutAck(Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkGet(ref w, 2, null, 1)));
        MessageComparer.AssertEquivalent(MessageComparer.Flatten(c.Buffers[2], 16), MessageComparer.Flatten(byIndex, 16));
    }

    [Fact]
    public void Xfrm_policy_update_matches_capture()
    {
        var policy = new XfrmPolicy
        {
            Selector = new XfrmSelector { Source = IPNetwork.Parse("198.19.1.0/24"), Destination = IPNetwork.Parse("198.19.2.0/24") },
            Direction = XfrmPolicyDirection.Out,
            Templates = [new XfrmTemplate { Source = IPAddress.Parse("198.18.0.1"), Destination = IPAddress.Parse("198.18.0.9"), RequestId = 11 }],
        };
        Check("xfrm-policy-update", XfrmMessageType.UpdatePolicy, XfrmUserPolicyInfo.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WritePolicy(ref w, XfrmMessageType.UpdatePolicy, policy, 1)), []);
    }

    [Fact]
    public void Xfrm_policy_get_matches_capture()
    {
        var selector = new XfrmSelector { Source = IPNetwork.Parse("198.19.1.0/24"), Destination = IPNetwork.Parse("198.19.2.0/24") };
        byte[] ours = WithoutAck(Build((ref NetlinkMessageWriter w) => XfrmCodec.WritePolicyId(ref w, XfrmMessageType.GetPolicy, selector, XfrmPolicyDirection.Forward, null, 1)));
        Check("xfrm-policy-get", XfrmMessageType.GetPolicy, XfrmUserPolicyId.Length, ours, []);
    }

    [Fact]
    public void Xfrm_flushes_match_captures()
    {
        Check("xfrm-policy-flush", XfrmMessageType.FlushPolicies, 0, Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteFlush(ref w, XfrmMessageType.FlushPolicies, 0, 1)), []);
        // iproute2 sends the 1-byte xfrm_usersa_flush unpadded (nlmsg_len 17); we pad to 4 (20), which the
        // kernel accepts the same; the byte itself (protocol 0 = all) must match.
        Check("xfrm-state-flush", XfrmMessageType.FlushStates, 1, Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteFlush(ref w, XfrmMessageType.FlushStates, 0, 1)), []);
    }

    [Fact]
    public void Xfrm_state_get_matches_capture()
    {
        var id = new XfrmStateId(IPAddress.Parse("198.18.0.2"), 0x100, XfrmProtocol.Esp, IPAddress.Parse("198.18.0.1"));
        byte[] ours = WithoutAck(Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteStateId(ref w, XfrmMessageType.GetState, id, 1)));
        Check("xfrm-state-get", XfrmMessageType.GetState, XfrmUserSaId.Length, ours, []);
    }

    [Fact]
    public void Default_route_has_no_destination_attribute()
    {
        var r = new Route { Gateway = IPAddress.Parse("198.18.0.254"), Protocol = 77 };
        Check("route-add-default", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Add, r, 1)), []);
    }

    [Fact]
    public void Route_in_a_table_above_255_uses_rta_table()
    {
        var r = new Route { Destination = IPNetwork.Parse("198.19.6.0/24"), OutputInterface = Ul0, Table = 1000, Protocol = 77 };
        Check("route-add-table1000", RtmType.NewRoute, 12, Build((ref NetlinkMessageWriter w) => NetlinkClient.WriteRoute(ref w, NetlinkBulkOperation.Add, r, 1)), []);
    }

    [Fact]
    public void Link_set_master_matches_capture()
    {
        const int br0 = 4; // created after ul1/ul0 in the capture namespace
        Check("link-set-master", RtmType.NewLink, 16, Build((ref NetlinkMessageWriter w) => RtnetlinkCodec.WriteLinkModify(ref w, Ul0, new LinkModification { MasterIndex = br0 }, 1)), []);
    }

    [Fact]
    public void Xfrm_state_with_cbc_auth_trunc_udp_encap_and_mark_matches_capture()
    {
        var state = new XfrmState
        {
            Source = IPAddress.Parse("198.18.0.1"),
            Destination = IPAddress.Parse("198.18.0.2"),
            Spi = 0x200,
            RequestId = 11,
            Encryption = new XfrmAlgorithm("cbc(aes)", Convert.FromHexString("000102030405060708090a0b0c0d0e0f")),
            Authentication = new XfrmAlgorithm("hmac(sha256)", Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), 128),
            Encapsulation = new XfrmEncapsulation(4500, 4500),
            Mark = new XfrmMark(7, 0xff),
        };
        Check("xfrm-state-add-cbc-encap", XfrmMessageType.NewState, XfrmUserSaInfo.Length, Build((ref NetlinkMessageWriter w) => XfrmCodec.WriteState(ref w, XfrmMessageType.NewState, state, 1)), []);

        // And the captured request decodes back to the same state.
        var reader = new NetlinkMessageReader(StraceCapture.Load("xfrm-state-add-cbc-encap").LastMessageOfType(XfrmMessageType.NewState));
        Assert.True(reader.TryRead(out NetlinkMessage m));
        XfrmState decoded = XfrmCodec.DecodeState(m);
        Assert.Equal(state.Spi, decoded.Spi);
        Assert.Equal(state.Encapsulation, decoded.Encapsulation);
        Assert.Equal(state.Mark, decoded.Mark);
        Assert.Equal("hmac(sha256)", decoded.Authentication!.Name);
        Assert.Equal(128, decoded.Authentication.LengthBits);
        Assert.Equal(state.Encryption.Key.ToArray(), decoded.Encryption!.Key.ToArray());
    }
}
