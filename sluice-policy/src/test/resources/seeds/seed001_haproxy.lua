kumo.on('get_egress_source', function(source_name)
  if source_name == 'ip-1' then
    -- Make a source that will emit from 10.0.0.1, via a proxy server
    return kumo.make_egress_source {
      name = 'ip-1',

      -- The HAProxy server address and port
      ha_proxy_server = '10.0.5.10:5000',

      -- Used by HAProxy to connect to the destination address
      ha_proxy_source_address = '10.0.0.1',

      ehlo_domain = 'mta1.examplecorp.com',
    }
  end
end)
