using System.Net;
using System.Text.Json;
using Overlay.Netlink.Internal;
using Overlay.Netlink.Tests.Support;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>Kernel replies recorded with strace (recvmsg) decoded and compared with ip -j output of the same run.</summary>
public sealed class ReplyDecodingTests
{
    private static JsonElement Json(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(StraceCapture.Directory, name + ".json"))).RootElement.Clone();

    private static List<T> DecodeAll<T>(StraceCapture capture, ushort type, Func<NetlinkMessage, T> decode)
    {
        var result = new List<T>();
        foreach (byte[] buffer in capture.Buffers)
        {
            var reader = new NetlinkMessageReader(buffer);
            while (reader.TryRead(out NetlinkMessage m))
            {
                if (m.Header.Type == type)
                {
                    result.Add(decode(m));
                }
            }
        }

        return result;
    }

    [Fact]
    public void Recorded_vxlan_link_reply_decodes_to_what_ip_reports()
    {
        StraceCapture capture = StraceCapture.Load("link-dump-vxlan.reply");
        JsonElement ip = Json("link-dump-vxlan.reply")[0];
        // ip reads vx0 and, to print names, the links it refers to; vx0 may be read more than once.
        List<Link> links = DecodeAll(capture, RtmType.NewLink, m => RtnetlinkCodec.DecodeLink(m));
        Assert.Contains(links, l => l.Name == "ul0");
        Link link = links.First(l => l.Name == ip.GetProperty("ifname").GetString());
        JsonElement data = ip.GetProperty("linkinfo").GetProperty("info_data");

        Assert.Equal(ip.GetProperty("ifindex").GetInt32(), link.Index);
        Assert.Equal(ip.GetProperty("ifname").GetString(), link.Name);
        Assert.Equal(ip.GetProperty("mtu").GetInt32(), link.Mtu);
        Assert.Equal(ip.GetProperty("address").GetString(), link.MacAddress.ToString());
        Assert.Equal(ip.GetProperty("txqlen").GetInt32(), link.TxQueueLength);
        Assert.True(link.IsUp);
        Assert.Equal("vxlan", link.Kind);
        VxlanLinkSpec vxlan = Assert.IsType<VxlanLinkSpec>(link.Spec);
        Assert.Equal(data.GetProperty("id").GetUInt32(), vxlan.Vni);
        Assert.Equal(IPAddress.Parse(data.GetProperty("local").GetString()!), vxlan.Local);
        Assert.Equal(data.GetProperty("port").GetUInt16(), vxlan.Port);
        Assert.Equal(data.GetProperty("learning").GetBoolean(), vxlan.Learning);
        Assert.Equal((byte?)data.GetProperty("ttl").GetByte(), vxlan.Ttl);
        Assert.Equal(data.GetProperty("ageing").GetUInt32(), vxlan.Ageing);
        Assert.Equal(data.GetProperty("udp_csum").GetBoolean(), vxlan.UdpChecksum);
        Assert.Equal(data.GetProperty("udp_zero_csum6_tx").GetBoolean(), vxlan.UdpZeroChecksum6Tx);
        Assert.NotNull(vxlan.UnderlayIndex); // ip prints the name ("link": "ul0") of this index
        Assert.Equal("ul0", data.GetProperty("link").GetString());
    }

    [Fact]
    public void Recorded_route_dump_decodes_to_what_ip_reports()
    {
        StraceCapture capture = StraceCapture.Load("route-dump.reply");
        List<Route> routes = DecodeAll(capture, RtmType.NewRoute, m => RtnetlinkCodec.DecodeRoute(m));
        JsonElement ip = Assert.Single(Json("route-dump.reply").EnumerateArray());
        Route route = Assert.Single(routes, r => r.Protocol == 77);
        Assert.Equal(IPNetwork.Parse(ip.GetProperty("dst").GetString()!), route.Destination);
        Assert.Equal(IPAddress.Parse(ip.GetProperty("gateway").GetString()!), route.Gateway);
        Assert.Equal((uint)ip.GetProperty("metric").GetInt32(), route.Priority);
        Assert.Equal((uint)ip.GetProperty("metrics")[0].GetProperty("mtu").GetInt32(), route.Mtu);
        Assert.Contains("onlink", ip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.True(route.Flags.HasFlag(RouteFlags.OnLink));
        Assert.Equal(RouteTable.Main, route.Table);
        Assert.Equal(RouteScope.Universe, route.Scope);
        Assert.Equal(RouteType.Unicast, route.Type);
    }

    [Fact]
    public void Recorded_enodev_error_is_parsed()
    {
        StraceCapture capture = StraceCapture.Load("link-dump-vxlan.reply");
        var reader = new NetlinkMessageReader(capture.Buffers[0]);
        Assert.True(reader.TryRead(out NetlinkMessage m));
        Assert.Equal(NetlinkMessageType.Error, m.Header.Type);
        AckParser.Parse(m, out int error, out _, out _);
        Assert.Equal(-LinuxErrno.ENODEV, error);
    }
}
