-- Bootstrap script for an EMPTY ProxySQL 2.7 node, rendered by `pxc render --format sql`
-- from: spec.yaml
-- Run it as is:  mysql -h HOST -P 6032 -u ADMIN_USER -p < this-file.sql
-- One statement per line, each ending with ';'; no statement spans lines (a line break in
-- a value is written as char(10), char(13), ... joined with '||', and a backslash the mysql
-- client would take for an escape as char(92)). Lines starting with '-- ' are comments.
-- Per module, in dependency order: DELETE every table the spec manages, INSERT its rows
-- (250 per statement), update variables by name in global_variables (never SET),
-- LOAD ... TO RUNTIME, SAVE ... TO DISK.
-- Not for a node that is already in a cluster: every LOAD here gets a new epoch, so the
-- peers would pull this node's configuration. Use `pxc apply` on the primary instead.
-- 2 secret value(s) are written as '<secret>': replace them before running,
-- or render with --reveal-secrets (and keep the output private).

-- MYSQL VARIABLES
REPLACE INTO global_variables (variable_name,variable_value) VALUES ('mysql-max_connections','3000');
REPLACE INTO global_variables (variable_name,variable_value) VALUES ('mysql-monitor_password','<secret>');
LOAD MYSQL VARIABLES TO RUNTIME;
SAVE MYSQL VARIABLES TO DISK;

-- ADMIN VARIABLES
REPLACE INTO global_variables (variable_name,variable_value) VALUES ('admin-cluster_check_interval_ms','200');
LOAD ADMIN VARIABLES TO RUNTIME;
SAVE ADMIN VARIABLES TO DISK;

-- MYSQL SERVERS
DELETE FROM mysql_servers;
DELETE FROM mysql_replication_hostgroups;
DELETE FROM mysql_galera_hostgroups;
DELETE FROM mysql_aws_aurora_hostgroups;
DELETE FROM mysql_hostgroup_attributes;
DELETE FROM mysql_servers_ssl_params;
INSERT INTO mysql_servers (hostgroup_id,hostname,port,gtid_port,status,weight,compression,max_connections,max_replication_lag,use_ssl,max_latency_ms,comment) VALUES (10,'db1.example.com',3306,0,'ONLINE',1,0,1000,0,0,0,'line one'||char(10)||'line two; it''s a \ test'||char(92)),(20,'db2.example.com',3306,0,'OFFLINE_SOFT',100,0,1000,0,0,0,''),(30,'db.cluster-x.eu-west-1.rds.amazonaws.com',3306,0,'ONLINE',1,0,1000,0,1,0,'');
INSERT INTO mysql_replication_hostgroups (writer_hostgroup,reader_hostgroup,check_type,comment) VALUES (10,20,'read_only|innodb_read_only','');
INSERT INTO mysql_galera_hostgroups (writer_hostgroup,backup_writer_hostgroup,reader_hostgroup,offline_hostgroup,active,max_writers,writer_is_also_reader,max_transactions_behind,comment) VALUES (40,41,42,43,0,1,0,0,NULL);
INSERT INTO mysql_aws_aurora_hostgroups (writer_hostgroup,reader_hostgroup,active,aurora_port,domain_name,max_lag_ms,check_interval_ms,check_timeout_ms,writer_is_also_reader,new_reader_weight,add_lag_ms,min_lag_ms,lag_num_checks,comment) VALUES (30,31,1,3306,'.x.eu-west-1.rds.amazonaws.com',600000,1000,800,1,1,30,30,1,NULL);
INSERT INTO mysql_hostgroup_attributes (hostgroup_id,max_num_online_servers,autocommit,free_connections_pct,init_connect,multiplex,connection_warming,throttle_connections_per_sec,ignore_session_variables,hostgroup_settings,servers_defaults,comment) VALUES (30,1000000,-1,10,'',1,0,1000000,'','','{"use_ssl":1}',''),(31,1000000,-1,10,'',1,0,1000000,'','','{"use_ssl":1}','it''s');
INSERT INTO mysql_servers_ssl_params (hostname,port,username,ssl_ca,ssl_cert,ssl_key,ssl_capath,ssl_crl,ssl_crlpath,ssl_cipher,tls_version,comment) VALUES ('db1.example.com',3306,'','/etc/proxysql/ca.pem','','','','','','','','');
LOAD MYSQL SERVERS TO RUNTIME;
SAVE MYSQL SERVERS TO DISK;

-- MYSQL USERS
DELETE FROM mysql_users;
INSERT INTO mysql_users (username,password,active,use_ssl,default_hostgroup,default_schema,schema_locked,transaction_persistent,fast_forward,backend,frontend,max_connections,attributes,comment) VALUES ('app','<secret>',1,0,10,'',0,1,0,1,1,10000,'',''),('split','*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',1,0,20,'',0,1,0,1,0,10000,'','');
LOAD MYSQL USERS TO RUNTIME;
SAVE MYSQL USERS TO DISK;

-- MYSQL QUERY RULES
DELETE FROM mysql_query_rules;
DELETE FROM mysql_query_rules_fast_routing;
INSERT INTO mysql_query_rules (rule_id,active,username,schemaname,flagIN,client_addr,proxy_addr,proxy_port,digest,match_digest,match_pattern,negate_match_pattern,re_modifiers,flagOUT,replace_pattern,destination_hostgroup,cache_ttl,cache_empty_result,cache_timeout,reconnect,timeout,retries,delay,next_query_flagIN,mirror_flagOUT,mirror_hostgroup,error_msg,OK_msg,sticky_conn,multiplex,gtid_from_hostgroup,log,apply,attributes,comment) VALUES (10,1,NULL,NULL,0,NULL,NULL,NULL,NULL,'^SELECT .* FOR UPDATE\b',NULL,0,'CASELESS',NULL,NULL,10,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1,'',NULL),(20,0,NULL,NULL,0,NULL,NULL,NULL,NULL,NULL,'x"y''z'||char(92),0,'CASELESS',NULL,'q',20,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,'','multi'||char(10)||'line');
INSERT INTO mysql_query_rules_fast_routing (username,schemaname,flagIN,destination_hostgroup,comment) VALUES ('app','shop',0,20,'');
LOAD MYSQL QUERY RULES TO RUNTIME;
SAVE MYSQL QUERY RULES TO DISK;

-- PROXYSQL SERVERS
DELETE FROM proxysql_servers;
INSERT INTO proxysql_servers (hostname,port,weight,comment) VALUES ('192.0.2.7',6032,0,'a peer');
LOAD PROXYSQL SERVERS TO RUNTIME;
SAVE PROXYSQL SERVERS TO DISK;

-- SCHEDULER
DELETE FROM scheduler;
INSERT INTO scheduler (id,active,interval_ms,filename,arg1,arg2,arg3,arg4,arg5,comment) VALUES (1,1,10000,'/usr/bin/true','a b',NULL,NULL,NULL,NULL,'');
LOAD SCHEDULER TO RUNTIME;
SAVE SCHEDULER TO DISK;

-- MYSQL FIREWALL
DELETE FROM mysql_firewall_whitelist_users;
DELETE FROM mysql_firewall_whitelist_rules;
DELETE FROM mysql_firewall_whitelist_sqli_fingerprints;
INSERT INTO mysql_firewall_whitelist_users (active,username,client_address,mode,comment) VALUES (1,'app','10.0.0.1','DETECTING','');
INSERT INTO mysql_firewall_whitelist_rules (active,username,client_address,schemaname,flagIN,digest,comment) VALUES (1,'app','10.0.0.1','shop',0,'0x1234','');
INSERT INTO mysql_firewall_whitelist_sqli_fingerprints (active,fingerprint) VALUES (1,'Sos');
LOAD MYSQL FIREWALL TO RUNTIME;
SAVE MYSQL FIREWALL TO DISK;

-- RESTAPI
DELETE FROM restapi_routes;
INSERT INTO restapi_routes (id,active,timeout_ms,method,uri,script,comment) VALUES (1,1,1000,'GET','metrics','/usr/bin/true','');
LOAD RESTAPI TO RUNTIME;
SAVE RESTAPI TO DISK;
