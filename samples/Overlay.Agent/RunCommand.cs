using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Hosting;
using Overlay.Subnets;
using Overlay.Subnets.Etcd;
using Overlay.Subnets.Kubernetes;

namespace Overlay.Agent;

/// <summary>
/// `run`: a real agent with flanneld's flags (spec control-plane §4.1) and its <c>FLANNELD_*</c>
/// environment variables (a flag given on the command line wins; a variable fills a repeatable flag
/// with exactly one value; a bad value is reported and ignored). With etcd endpoints
/// (<c>--etcd-endpoints</c> or <c>FLANNELD_ETCD_ENDPOINTS</c>) the registry is
/// <see cref="EtcdSubnetRegistry"/> (configuration from <c>&lt;prefix&gt;/config</c>); without them it is
/// the embedded in-memory one, configured from the net-conf file.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var iface = new Option<string[]>("--iface", "-iface") { Description = "Interface name or local IP address to use for inter-host communication; repeatable, tried in order." };
        var ifaceRegex = new Option<string[]>("--iface-regex", "-iface-regex") { Description = "Regular expression over interface addresses, then names; repeatable, tried after every --iface." };
        var ifaceCanReach = new Option<string?>("--iface-can-reach", "-iface-can-reach") { Description = "Use the interface the kernel would use to reach this address." };
        var publicIP = new Option<string?>("--public-ip", "-public-ip") { Description = "IPv4 address other nodes should use (default: the interface's)." };
        var publicIPv6 = new Option<string?>("--public-ipv6", "-public-ipv6") { Description = "IPv6 address other nodes should use." };
        var subnetFile = new Option<string>("--subnet-file", "-subnet-file") { Description = "Where to write the subnet file.", DefaultValueFactory = _ => Overlay.Subnets.SubnetEnvFile.DefaultPath };
        var netConf = new Option<string>("--net-config-path", "-net-config-path") { Description = "The network configuration (net-conf.json).", DefaultValueFactory = _ => "/etc/kube-flannel/net-conf.json" };
        var renewMargin = new Option<int>("--subnet-lease-renew-margin", "-subnet-lease-renew-margin") { Description = "Renew the lease this many minutes before it expires (1 to 1439).", DefaultValueFactory = _ => 60 };
        var ipMasq = new Option<bool>("--ip-masq", "-ip-masq") { Description = "Set up IP masquerade for traffic leaving the overlay network (nftables rules over netlink with EnableNFTables, else iptables-restore)." };
        var forwardRules = new Option<bool>("--iptables-forward-rules", "-iptables-forward-rules") { Description = "Add accept rules for forwarded overlay traffic (flanneld's default: true).", DefaultValueFactory = _ => true };
        var fullyRandomDisable = new Option<bool>("--ip-masq-fully-random-disable", "-ip-masq-fully-random-disable") { Description = "Masquerade without fully random source ports." };
        var healthzIP = new Option<string>("--healthz-ip", "-healthz-ip") { Description = "Address the health server listens on (flanneld: 0.0.0.0).", DefaultValueFactory = _ => "127.0.0.1" };
        var healthzPort = new Option<int>("--healthz-port", "-healthz-port") { Description = "Port of the health server (/healthz, /readyz); 0 turns it off.", DefaultValueFactory = _ => 0 };
        var blackhole = new Option<bool>("--ip-blackhole-route", "-ip-blackhole-route") { Description = "Keep a blackhole route for the node's subnet(s)." };
        var resync = new Option<int>("--iptables-resync", "-iptables-resync") { Description = "Seconds between checks of the iptables rules and the blackhole routes.", DefaultValueFactory = _ => 5 };
        var etcdEndpoints = new Option<string?>("--etcd-endpoints", "-etcd-endpoints") { Description = "Comma-separated etcd endpoints (http://host:2379,...); without them the in-memory registry and --net-config-path are used." };
        var etcdPrefix = new Option<string>("--etcd-prefix", "-etcd-prefix") { Description = "etcd prefix (configuration at <prefix>/config, leases under <prefix>/subnets).", DefaultValueFactory = _ => EtcdSubnetRegistryOptions.DefaultPrefix };
        var etcdCert = new Option<string?>("--etcd-certfile", "-etcd-certfile") { Description = "SSL certification file used to secure etcd communication." };
        var etcdKey = new Option<string?>("--etcd-keyfile", "-etcd-keyfile") { Description = "SSL key file used to secure etcd communication." };
        var etcdCa = new Option<string?>("--etcd-cafile", "-etcd-cafile") { Description = "SSL Certificate Authority file used to secure etcd communication." };
        var etcdUser = new Option<string?>("--etcd-username", "-etcd-username") { Description = "Username for BasicAuth to etcd." };
        var etcdPassword = new Option<string?>("--etcd-password", "-etcd-password") { Description = "Password for BasicAuth to etcd (never printed)." };
        var kubeSubnetMgr = new Option<bool>("--kube-subnet-mgr", "-kube-subnet-mgr") { Description = "Contact the Kubernetes API for subnet assignment instead of etcd: the node's podCIDR is its subnet, peers are the nodes annotated by flannel." };
        var kubeconfigFile = new Option<string?>("--kubeconfig-file", "-kubeconfig-file") { Description = "kubeconfig file location (empty: in-cluster configuration)." };
        var kubeApiUrl = new Option<string?>("--kube-api-url", "-kube-api-url") { Description = "Kubernetes API server URL (empty: in-cluster configuration or the kubeconfig's)." };
        var kubeAnnotationPrefix = new Option<string>("--kube-annotation-prefix", "-kube-annotation-prefix") { Description = "Kubernetes annotation prefix; may contain a single slash, in which case a dash is appended.", DefaultValueFactory = _ => KubernetesAnnotationNames.DefaultPrefix };
        var setNodeNetworkUnavailable = new Option<bool>("--set-node-network-unavailable", "-set-node-network-unavailable") { Description = "Set the node's NetworkUnavailable condition to False once the lease is published (default true).", DefaultValueFactory = _ => true };
        var verbosity = new Option<int>("-v", "--v") { Description = "Log verbosity: 0 information, 1-3 debug, 4 and more trace.", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run an agent for this host with flanneld's flags (and FLANNELD_* environment variables), until SIGTERM or Ctrl-C.")
        {
            iface, ifaceRegex, ifaceCanReach, publicIP, publicIPv6, subnetFile, netConf, renewMargin, ipMasq, forwardRules, fullyRandomDisable, healthzIP, healthzPort, blackhole, resync,
            etcdEndpoints, etcdPrefix, etcdCert, etcdKey, etcdCa, etcdUser, etcdPassword,
            kubeSubnetMgr, kubeconfigFile, kubeApiUrl, kubeAnnotationPrefix, setNodeNetworkUnavailable, verbosity,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new Flags(parse);
            string[] interfaces = flags.Get(iface, v => new[] { v });
            string[] regexes = flags.Get(ifaceRegex, v => new[] { v });
            string? canReach = flags.Get(ifaceCanReach, v => v);
            string? public4 = flags.Get(publicIP, v => v);
            string? public6 = flags.Get(publicIPv6, v => v);
            string subnetPath = flags.Get(subnetFile, v => v);
            string netConfPath = flags.Get(netConf, v => v);
            int margin = flags.Get(renewMargin, v => int.Parse(v, CultureInfo.InvariantCulture));
            bool masq = flags.Get(ipMasq, ParseBool);
            bool forward = flags.Get(forwardRules, ParseBool);
            bool notRandom = flags.Get(fullyRandomDisable, ParseBool);
            string healthIP = flags.Get(healthzIP, v => v);
            int healthPort = flags.Get(healthzPort, v => int.Parse(v, CultureInfo.InvariantCulture));
            bool hole = flags.Get(blackhole, ParseBool);
            int resyncSeconds = flags.Get(resync, v => int.Parse(v, CultureInfo.InvariantCulture));
            int v = flags.Get(verbosity, x => int.Parse(x, CultureInfo.InvariantCulture));
            string? endpoints = flags.Get(etcdEndpoints, x => x);
            Action<EtcdSubnetRegistryOptions>? etcd = null;
            if (!string.IsNullOrWhiteSpace(endpoints))
            {
                string[] endpointList = [.. endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                string prefix = flags.Get(etcdPrefix, x => x);
                string? certFile = NullIfEmpty(flags.Get(etcdCert, x => x));
                string? keyFile = NullIfEmpty(flags.Get(etcdKey, x => x));
                string? caFile = NullIfEmpty(flags.Get(etcdCa, x => x));
                string? username = NullIfEmpty(flags.Get(etcdUser, x => x));
                string? password = NullIfEmpty(flags.Get(etcdPassword, x => x));
                etcd = o =>
                {
                    o.Endpoints = endpointList;
                    o.Prefix = prefix;
                    o.CertificateFile = certFile;
                    o.KeyFile = keyFile;
                    o.CaFile = caFile;
                    o.Username = username;
                    o.Password = password;
                };
            }

            Action<KubernetesSubnetRegistryOptions>? kube = null;
            if (flags.Get(kubeSubnetMgr, ParseBool))
            {
                if (etcd is not null)
                {
                    await Console.Error.WriteLineAsync("overlay run: --kube-subnet-mgr and --etcd-endpoints exclude each other.");
                    return 1;
                }

                KubernetesSubnetRegistryOptions fromEnvironment;
                try
                {
                    // NODE_NAME, POD_NAME/POD_NAMESPACE, EVENT_QUEUE_DEPTH, CONT_WHEN_CACHE_NOT_READY, read once.
                    fromEnvironment = KubernetesSubnetRegistryOptions.FromEnvironment();
                }
                catch (ArgumentException ex)
                {
                    await Console.Error.WriteLineAsync($"overlay run: {ex.Message}");
                    return 1;
                }

                string? kubeconfig = NullIfEmpty(flags.Get(kubeconfigFile, x => x));
                string? apiUrl = NullIfEmpty(flags.Get(kubeApiUrl, x => x));
                string annotationPrefix = flags.Get(kubeAnnotationPrefix, x => x);
                bool setUnavailable = flags.Get(setNodeNetworkUnavailable, ParseBool);
                bool alloc = IsAllocBackend(netConfPath);
                kube = o =>
                {
                    o.NodeName = fromEnvironment.NodeName;
                    o.PodName = fromEnvironment.PodName;
                    o.PodNamespace = fromEnvironment.PodNamespace;
                    o.EventQueueDepth = fromEnvironment.EventQueueDepth;
                    o.ContinueWhenCacheNotReady = fromEnvironment.ContinueWhenCacheNotReady;
                    o.KubeconfigFile = kubeconfig;
                    o.ApiUrl = apiUrl;
                    o.AnnotationPrefix = annotationPrefix;
                    o.SetNodeNetworkUnavailable = setUnavailable;
                    o.NetConfPath = netConfPath;
                    o.WatchNodes = !alloc; // alloc routes nothing: no node informer, as flanneld
                };
            }

            foreach (string warning in flags.Warnings)
            {
                await Console.Error.WriteLineAsync(warning);
            }

            if (margin is < 1 or > 1439)
            {
                await Console.Error.WriteLineAsync("Invalid subnet-lease-renew-margin option, out of acceptable range");
                return 1;
            }

            if ((canReach is not null && !IPAddress.TryParse(canReach, out _))
                || (public4 is not null && !IPAddress.TryParse(public4, out _))
                || (public6 is not null && !IPAddress.TryParse(public6, out _)))
            {
                await Console.Error.WriteLineAsync("Invalid address in --iface-can-reach, --public-ip or --public-ipv6.");
                return 1;
            }

            if (kube is not null && public4 is null && public6 is null)
            {
                // flanneld reads node-public-ip(-v6) before choosing the interface: they act as --public-ip(v6).
                (IPAddress? node4, IPAddress? node6) = await ReadNodePublicAddressesAsync(kube, cancellationToken);
                (public4, public6) = (node4?.ToString(), node6?.ToString());
            }

            return await RunHostAsync(o =>
            {
                foreach (string i in interfaces)
                {
                    o.ExternalInterface.Interfaces.Add(i);
                }

                foreach (string r in regexes)
                {
                    o.ExternalInterface.InterfaceRegexes.Add(r);
                }

                o.ExternalInterface.CanReach = canReach;
                o.ExternalInterface.PublicIP = public4;
                o.ExternalInterface.PublicIPv6 = public6;
                o.SubnetFilePath = subnetPath;
                o.SubnetLeaseRenewMargin = TimeSpan.FromMinutes(margin);
                o.IPMasq = masq;
                o.IPTablesForwardRules = forward;
                o.TrafficRules.FullyRandom = !notRandom;
                o.TrafficRules.IptablesResyncInterval = TimeSpan.FromSeconds(Math.Max(1, resyncSeconds));
                o.HealthzIP = healthIP;
                o.HealthzPort = healthPort;
                o.IPBlackholeRoute = hole;
                o.ResyncInterval = TimeSpan.FromSeconds(Math.Max(1, resyncSeconds));
            }, netConfPath, etcd, kube, v, cancellationToken);
        });
        return command;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Whether the net-conf file names the alloc backend (unreadable: no).</summary>
    private static bool IsAllocBackend(string netConfPath)
    {
        try
        {
            return NetworkConfig.Parse(File.ReadAllBytes(netConfPath)).BackendType == "alloc";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NetworkConfigException)
        {
            return false;
        }
    }

    private static async Task<(IPAddress? PublicIP, IPAddress? PublicIPv6)> ReadNodePublicAddressesAsync(Action<KubernetesSubnetRegistryOptions> kube, CancellationToken cancellationToken)
    {
        var options = new KubernetesSubnetRegistryOptions();
        kube(options);
        options.WatchNodes = false;
        try
        {
            await using var registry = new KubernetesSubnetRegistry(options);
            var addresses = await registry.GetNodePublicAddressesAsync(cancellationToken);
            if (addresses.PublicIP is not null || addresses.PublicIPv6 is not null)
            {
                await Console.Error.WriteLineAsync($"overlay run: node {registry.NodeName} has the public address annotation(s) {addresses.PublicIP}{(addresses.PublicIPv6 is null ? string.Empty : " " + addresses.PublicIPv6)}; using them as --public-ip/--public-ipv6");
            }

            return addresses;
        }
        catch (Exception ex) when (ex is SubnetRegistryException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"overlay run: could not read the node's public address annotations: {ex.Message}");
            return (null, null);
        }
    }

    private static async Task<int> RunHostAsync(Action<OverlayAgentOptions> configure, string netConfPath, Action<EtcdSubnetRegistryOptions>? etcd, Action<KubernetesSubnetRegistryOptions>? kube, int verbosity, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(verbosity switch { <= 0 => LogLevel.Information, <= 3 => LogLevel.Debug, _ => LogLevel.Trace });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        IOverlayBuilder overlay = builder.Services.AddOverlay(configure);
        if (kube is not null)
        {
            // The Kubernetes registry: the node's podCIDR, flannel's annotations, net-conf.json from the file.
            builder.Services.AddKubernetesSubnetRegistry(kube);
        }
        else if (etcd is null)
        {
            overlay.UseNetConfFile(netConfPath);
        }
        else
        {
            // The agent takes the ISubnetRegistry from the container: here the etcd one, its options validated on start.
            builder.Services.AddEtcdSubnetRegistry(etcd);
        }

        overlay.AddSampleBackends();
        using IHost host = builder.Build();
        if (etcd is not null)
        {
            EtcdSubnetRegistryOptions options;
            try
            {
                options = host.Services.GetRequiredService<IOptions<EtcdSubnetRegistryOptions>>().Value;
            }
            catch (OptionsValidationException ex)
            {
                // The messages name the setting, never the password.
                await Console.Error.WriteLineAsync($"overlay run: invalid etcd settings: {ex.Message}");
                return 1;
            }

            await Console.Error.WriteLineAsync($"overlay run: using the etcd registry ({options}); network configuration from {options.Prefix.TrimEnd('/')}/config");
        }

        if (kube is not null)
        {
            KubernetesSubnetRegistryOptions options;
            try
            {
                options = host.Services.GetRequiredService<IOptions<KubernetesSubnetRegistryOptions>>().Value;
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync($"overlay run: invalid Kubernetes settings: {ex.Message}");
                return 1;
            }

            await Console.Error.WriteLineAsync($"overlay run: using the Kubernetes subnet manager ({options})");
        }

        OverlayAgent agent;
        try
        {
            agent = host.Services.GetRequiredService<OverlayAgent>();
            await host.RunAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"overlay run: {ex.Message}");
            return 1;
        }

        if (agent.Completion.IsFaulted)
        {
            await Console.Error.WriteLineAsync($"overlay run: the agent failed: {agent.Completion.Exception!.InnerException!.Message}");
            return 1;
        }

        await Console.Error.WriteLineAsync("Exiting cleanly...");
        return 0;
    }

    private static bool ParseBool(string value) => value.ToUpperInvariant() switch
    {
        "1" or "T" or "TRUE" => true,
        "0" or "F" or "FALSE" => false,
        _ => throw new FormatException($"'{value}' is not a boolean"),
    };

    /// <summary>Flag values with flanneld's environment fallback (FLANNELD_&lt;NAME&gt;).</summary>
    private sealed class Flags(ParseResult parse)
    {
        public List<string> Warnings { get; } = [];

        public T Get<T>(Option<T> option, Func<string, T> parseEnvironment)
        {
            if (parse.GetResult(option) is OptionResult { Implicit: false })
            {
                return parse.GetValue(option)!;
            }

            string variable = "FLANNELD_" + option.Name.TrimStart('-').ToUpperInvariant().Replace('-', '_');
            string? text = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(text))
            {
                try
                {
                    return parseEnvironment(text);
                }
                catch (FormatException ex)
                {
                    Warnings.Add($"Ignoring {variable}={text}: {ex.Message}");
                }
            }

            return parse.GetValue(option)!;
        }
    }
}
